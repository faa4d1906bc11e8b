//! Approving a `trove login` from the CLI (device-code flow): the CLI shows a code and this
//! URL; the signed-in person enters (or confirms) the code and approves or denies it.

use crate::error::{WebError, WebResult};
use crate::form::FormData;
use crate::layout::{csrf_field, dashboard_tabs, notice, page_head, Page};
use crate::session::Viewer;
use crate::WebState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use trove_service::ErrorKind;

pub async fn device_form(State(_state): State<WebState>, viewer: Viewer, RawQuery(raw): RawQuery) -> WebResult {
    viewer.require_user()?;
    let code = raw
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "code").map(|(_, v)| v))
        .unwrap_or_default();
    Ok(page(&viewer, &code, None, StatusCode::OK))
}

pub async fn decide(State(state): State<WebState>, viewer: Viewer, form: FormData) -> WebResult {
    form.signed_in(&viewer)?;
    let code = form.get("code");
    let approve = match form.get("decision") {
        "approve" => true,
        "deny" => false,
        _ => {
            let msg = notice("error", "Choose Approve or Deny.");
            return Ok(page(&viewer, code, Some(msg), StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    match state
        .services
        .accounts()
        .decide_device_login(&viewer.ctx, code, approve)
        .await
    {
        Ok(d) => {
            let client = d.client_name.as_deref().unwrap_or("the trove CLI");
            let msg = if d.approved {
                notice(
                    "ok",
                    &format!(
                        "Approved: {client} is now signed in as {}. You can close this page and return to your terminal.",
                        d.username
                    ),
                )
            } else {
                notice("info", &format!("Denied: {client} was not signed in."))
            };
            Ok(page(&viewer, "", Some(msg), StatusCode::OK))
        }
        Err(e)
            if matches!(
                e.kind,
                ErrorKind::NotFound | ErrorKind::BadRequest | ErrorKind::Unprocessable
            ) =>
        {
            let msg = notice("error", &e.message);
            Ok(page(&viewer, code, Some(msg), StatusCode::NOT_FOUND))
        }
        Err(e) => Err(WebError::from_service(e, viewer.chrome())),
    }
}

fn page(viewer: &Viewer, code: &str, msg: Option<Markup>, status: StatusCode) -> Response {
    let admin = viewer.user().is_some_and(|u| u.admin());
    let csrf = viewer.csrf().unwrap_or_default();
    let body = html! {
        (page_head("Device login", Some(html! { "Sign in the " code { "trove" } " command line on another machine." })))
        (dashboard_tabs("device", admin))
        @if let Some(m) = msg { (m) }
        section.card.narrow aria-labelledby="device-title" {
            h2 #device-title { "Enter the code shown by " code { "trove login" } }
            p.hint {
                "Only approve a code you just started yourself: the computer that shows it gets a token that can "
                "read, publish and yank your packages."
            }
            form.stack action="/device" method="post" {
                (csrf_field(csrf))
                div.field {
                    label for="device-code" { "Code" }
                    input #device-code.code-input type="text" name="code" value=(code) required
                        placeholder="BCDF-GHJK" autocomplete="off" autocapitalize="characters" spellcheck="false"
                        maxlength="20";
                }
                div.button-row {
                    button.btn.btn-primary type="submit" name="decision" value="approve" { "Approve" }
                    button.btn type="submit" name="decision" value="deny" { "Deny" }
                }
            }
        }
    };
    Page::new(viewer.chrome(), "Device login", body)
        .status(status)
        .into_response()
}
