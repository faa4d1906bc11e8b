//! Account settings (`/dashboard/settings`): change the password (other sessions end) and
//! the email (both need the current password), see and end browser sessions; and the site
//! admins' user actions on `/admin` (disable or enable an account, make or unmake an admin).

use crate::error::{redirect, WebError, WebResult};
use crate::fmt::date_time;
use crate::form::FormData;
use crate::layout::{csrf_field, dashboard_tabs, notice, page_head, Page};
use crate::session::Viewer;
use crate::WebState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use trove_core::time::rfc3339;
use trove_service::{ErrorKind, ServiceError};

/// The confirmation of a change, from the redirect's query.
fn flash(raw: Option<&str>) -> Option<&'static str> {
    match raw? {
        "done=password" => Some("Your password was changed. Your other sessions were signed out."),
        "done=email" => Some("Your email address was changed."),
        "done=session" => Some("The session was signed out."),
        _ => None,
    }
}

pub async fn show(State(state): State<WebState>, viewer: Viewer, RawQuery(raw): RawQuery) -> WebResult {
    viewer.require_user()?;
    let msg = flash(raw.as_deref()).map(|m| ("ok", m.to_string()));
    render(&state, &viewer, msg, StatusCode::OK).await
}

/// A refused change: 422 and the page with the reason; anything else as an error page.
async fn refused(state: &WebState, viewer: &Viewer, e: ServiceError) -> WebResult {
    match e.kind {
        ErrorKind::Unprocessable | ErrorKind::BadRequest => {
            render(
                state,
                viewer,
                Some(("error", e.message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        _ => Err(WebError::from_service(e, viewer.chrome())),
    }
}

pub async fn change_password(State(state): State<WebState>, viewer: Viewer, form: FormData) -> WebResult {
    form.signed_in(&viewer)?;
    let (new, again) = (form.raw("new_password"), form.raw("new_password_again"));
    if new != again {
        let e = ServiceError::unprocessable("password_mismatch", "the two new passwords differ");
        return refused(&state, &viewer, e).await;
    }
    match state
        .services
        .accounts()
        .change_password(&viewer.ctx, form.raw("current_password"), new)
        .await
    {
        Ok(()) => Ok(redirect("/dashboard/settings?done=password")),
        Err(e) => refused(&state, &viewer, e).await,
    }
}

pub async fn change_email(State(state): State<WebState>, viewer: Viewer, form: FormData) -> WebResult {
    form.signed_in(&viewer)?;
    match state
        .services
        .accounts()
        .change_email(&viewer.ctx, form.raw("current_password"), form.get("email"))
        .await
    {
        Ok(()) => Ok(redirect("/dashboard/settings?done=email")),
        Err(e) => refused(&state, &viewer, e).await,
    }
}

pub async fn revoke_session(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(handle): Path<String>,
    form: FormData,
) -> WebResult {
    form.signed_in(&viewer)?;
    state
        .services
        .accounts()
        .revoke_session(&viewer.ctx, &handle)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    Ok(redirect("/dashboard/settings?done=session"))
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    msg: Option<(&str, String)>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let user = viewer.require_user()?;
    let csrf = viewer.csrf().unwrap_or_default();
    let sessions = state
        .services
        .accounts()
        .list_sessions(&viewer.ctx)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let body = html! {
        (page_head("Settings", Some(html! { "Your account, " strong { (user.username) } "." })))
        (dashboard_tabs("settings", user.admin()))
        @if let Some((kind, text)) = &msg { (notice(kind, text)) }
        div.settings-grid {
            section.card aria-labelledby="password-title" {
                h2 #password-title { "Change password" }
                form method="post" action="/dashboard/settings/password" {
                    (csrf_field(csrf))
                    div.field {
                        label for="pw-current" { "Current password" }
                        input #pw-current type="password" name="current_password" autocomplete="current-password" required;
                    }
                    div.field {
                        label for="pw-new" { "New password" }
                        input #pw-new type="password" name="new_password" autocomplete="new-password" minlength="8" required;
                    }
                    div.field {
                        label for="pw-again" { "New password, again" }
                        input #pw-again type="password" name="new_password_again" autocomplete="new-password" minlength="8" required;
                    }
                    p.hint { "Your other sessions are signed out." }
                    button.btn.btn-primary type="submit" { "Change password" }
                }
            }
            section.card aria-labelledby="email-title" {
                h2 #email-title { "Email address" }
                form method="post" action="/dashboard/settings/email" {
                    (csrf_field(csrf))
                    div.field {
                        label for="email" { "Email" }
                        input #email type="email" name="email" value=(user.email) autocomplete="email" required;
                    }
                    div.field {
                        label for="email-password" { "Current password" }
                        input #email-password type="password" name="current_password" autocomplete="current-password" required;
                    }
                    button.btn.btn-primary type="submit" { "Change email" }
                }
            }
        }
        section.card aria-labelledby="sessions-title" {
            h2 #sessions-title { "Browser sessions" }
            div.table-wrap {
                table.table.sessions {
                    thead { tr { th scope="col" { "Signed in" } th scope="col" { "Expires" } th scope="col" { span.sr-only { "Actions" } } } }
                    tbody {
                        @for s in &sessions {
                            tr {
                                td { (date_time(&rfc3339(s.created_at))) @if s.current { " " span.badge.badge-ok { "this session" } } }
                                td { (date_time(&rfc3339(s.expires_at))) }
                                td {
                                    @if !s.current {
                                        form.inline method="post" action={ "/dashboard/settings/sessions/" (s.handle) "/revoke" } {
                                            (csrf_field(csrf))
                                            button.btn.btn-small.btn-danger type="submit"
                                                aria-label={ "Sign out the session of " (date_time(&rfc3339(s.created_at))) } { "Sign out" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new(viewer.chrome(), "Settings", body)
        .status(status)
        .into_response())
}

/// `POST /admin/users/{username}/{action}`: `disable`, `enable`, `make-admin`, `remove-admin`.
pub async fn admin_user_action(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((username, action)): Path<(String, String)>,
    form: FormData,
) -> WebResult {
    form.signed_in(&viewer)?;
    let accounts = state.services.accounts();
    let ctx = &viewer.ctx;
    let result = match action.as_str() {
        "disable" => accounts.admin_set_disabled(ctx, &username, true).await,
        "enable" => accounts.admin_set_disabled(ctx, &username, false).await,
        "make-admin" => accounts.admin_set_admin(ctx, &username, true).await,
        "remove-admin" => accounts.admin_set_admin(ctx, &username, false).await,
        _ => return Err(WebError::not_found(viewer.chrome())),
    };
    match result {
        Ok(()) => Ok(redirect(&format!(
            "/admin?done={action}&user={}",
            crate::fmt::encode(&username)
        ))),
        Err(e) if e.kind == ErrorKind::Unprocessable => Err(WebError::page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not possible",
            e.message,
            viewer.chrome(),
        )),
        Err(e) => Err(WebError::from_service(e, viewer.chrome())),
    }
}
