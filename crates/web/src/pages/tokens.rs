//! API tokens: create (with scopes, package patterns and expiry; the secret is shown once),
//! list, revoke.

use crate::error::{redirect, WebError, WebResult};
use crate::fmt::{parse_rfc3339, time_ago};
use crate::form::FormData;
use crate::layout::{csrf_field, dashboard_tabs, notice, page_head, Page};
use crate::session::Viewer;
use crate::WebState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use trove_service::tokens::{CreatedToken, NewTokenRequest};
use trove_service::ErrorKind;

const SCOPES: &[(&str, &str)] = &[
    ("read", "Read private packages you can see"),
    ("publish", "Publish new packages and versions"),
    ("yank", "Yank, deprecate and delete versions"),
    ("owners", "Manage owners and organizations"),
    ("admin", "Everything, including managing tokens"),
];

const EXPIRY: &[(&str, &str)] = &[
    ("7", "7 days"),
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
    ("", "Never"),
];

/// What the create form shows again after a refusal.
#[derive(Default)]
struct Draft {
    name: String,
    scopes: Vec<String>,
    packages: String,
    expires: String,
}

pub async fn list_tokens(State(state): State<WebState>, viewer: Viewer, RawQuery(raw): RawQuery) -> WebResult {
    viewer.require_user()?;
    let msg = match raw.as_deref() {
        Some("revoked=1") => Some(("ok", "The token was revoked. Anything using it can no longer sign in.")),
        _ => None,
    };
    render(&state, &viewer, None, Draft::default(), msg, StatusCode::OK).await
}

pub async fn create_token(State(state): State<WebState>, viewer: Viewer, form: FormData) -> WebResult {
    form.signed_in(&viewer)?;
    let draft = Draft {
        name: form.get("name").to_string(),
        scopes: form.all("scopes").into_iter().map(str::to_string).collect(),
        packages: form.get("packages").to_string(),
        expires: form.get("expires").to_string(),
    };
    let patterns: Vec<String> = draft
        .packages
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let expires_in = match draft.expires.as_str() {
        "" => None,
        days => match days.parse::<i64>() {
            Ok(d) if d > 0 => Some(d * 86_400),
            _ => {
                let msg = ("error", "Choose an expiry from the list.");
                return render(
                    &state,
                    &viewer,
                    None,
                    draft,
                    Some(msg),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
    };
    let req = NewTokenRequest {
        name: draft.name.clone(),
        scopes: draft.scopes.clone(),
        packages: (!patterns.is_empty()).then_some(patterns),
        expires_in,
    };
    match state.services.tokens().create_token(&viewer.ctx, req).await {
        Ok(created) => {
            render(
                &state,
                &viewer,
                Some(created),
                Draft::default(),
                None,
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) if matches!(e.kind, ErrorKind::Unprocessable | ErrorKind::BadRequest) => {
            let msg = e.message.clone();
            render_owned(&state, &viewer, draft, msg).await
        }
        Err(e) => Err(WebError::from_service(e, viewer.chrome())),
    }
}

async fn render_owned(state: &WebState, viewer: &Viewer, draft: Draft, msg: String) -> WebResult {
    render(
        state,
        viewer,
        None,
        draft,
        Some(("error", &msg)),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

pub async fn revoke_token(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    form: FormData,
) -> WebResult {
    form.signed_in(&viewer)?;
    state
        .services
        .tokens()
        .revoke_token(&viewer.ctx, id)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    Ok(redirect("/dashboard/tokens?revoked=1"))
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    created: Option<CreatedToken>,
    draft: Draft,
    msg: Option<(&str, &str)>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let user = viewer.require_user()?;
    let csrf = viewer.csrf().unwrap_or_default();
    let tokens = state
        .services
        .tokens()
        .list_tokens(&viewer.ctx)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let body = html! {
        (page_head("API tokens", Some(html! { "Tokens let the CLI, CI jobs and scripts act as " strong { (user.username) } "." })))
        (dashboard_tabs("tokens", user.admin()))
        @if let Some((kind, text)) = msg { (notice(kind, text)) }
        @if let Some(c) = &created { (created_box(c)) }
        div.dash-layout.single {
            (token_table(&tokens, csrf))
            (new_token_form(&draft, &user.username, csrf))
        }
    };
    Ok(Page::new(viewer.chrome(), "API tokens", body)
        .status(status)
        .into_response())
}

/// The caller's tokens with a revoke button each.
fn token_table(tokens: &[trove_service::tokens::TokenView], csrf: &str) -> Markup {
    let now = trove_core::now_ms();
    html! {
        section.card aria-labelledby="tokens-title" {
            h2 #tokens-title { "Your tokens " span.count { (tokens.len()) } }
            @if tokens.is_empty() {
                p.empty { "No tokens yet." }
            } @else {
                div.table-wrap {
                    table.table {
                        thead {
                            tr {
                                th scope="col" { "Name" }
                                th scope="col" { "Scopes" }
                                th scope="col" { "Packages" }
                                th scope="col" { "Last used" }
                                th scope="col" { "Expires" }
                                th scope="col" { span.sr-only { "Actions" } }
                            }
                        }
                        tbody {
                            @for t in tokens {
                                tr {
                                    th scope="row" { (t.name) br; span.muted.small { "created " (time_ago(&t.created_at)) } }
                                    td { @for s in &t.scopes { span.badge { (s) } " " } }
                                    td {
                                        @match &t.packages {
                                            Some(p) => { @for pat in p { code { (pat) } " " } },
                                            None => span.muted { "all" },
                                        }
                                    }
                                    td { @match &t.last_used_at { Some(u) => (time_ago(u)), None => span.muted { "never" } } }
                                    td {
                                        @match &t.expires_at {
                                            Some(e) if parse_rfc3339(e).is_some_and(|ms| ms <= now) => span.badge.badge-warn { "expired" },
                                            Some(e) => (crate::fmt::date(e)),
                                            None => span.muted { "never" },
                                        }
                                    }
                                    td.actions {
                                        form.inline action={ "/dashboard/tokens/" (t.id) "/revoke" } method="post" {
                                            (csrf_field(csrf))
                                            button.btn.btn-danger.btn-small type="submit" aria-label={ "Revoke the token " (t.name) } { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The form creating a token, refilled with `draft` after a refused attempt.
fn new_token_form(draft: &Draft, username: &str, csrf: &str) -> Markup {
    let checked = |s: &str| {
        if draft.scopes.is_empty() {
            s == "read" || s == "publish"
        } else {
            draft.scopes.iter().any(|x| x == s)
        }
    };
    let expires = if draft.name.is_empty() && draft.expires.is_empty() {
        "90".to_string()
    } else {
        draft.expires.clone()
    };
    html! {
        section.card.form-card aria-labelledby="new-token-title" {
            h2 #new-token-title { "Create a token" }
            form.stack action="/dashboard/tokens" method="post" {
                (csrf_field(csrf))
                div.field {
                    label for="token-name" { "Name" }
                    input #token-name type="text" name="name" value=(draft.name) required maxlength="100"
                        placeholder="e.g. laptop, ci-release";
                }
                fieldset.field {
                    legend { "Scopes" }
                    @for (s, hint) in SCOPES {
                        div.check {
                            input id={ "scope-" (s) } type="checkbox" name="scopes" value=(s) checked[checked(s)];
                            label for={ "scope-" (s) } { strong { (s) } span.muted { " — " (hint) } }
                        }
                    }
                }
                div.field {
                    label for="token-packages" { "Limit to packages (optional)" }
                    input #token-packages type="text" name="packages" value=(draft.packages)
                        placeholder={ (username) "/*" } aria-describedby="packages-hint";
                    p.hint #packages-hint { "Patterns with * wildcards, separated by commas. Empty: every package you can access." }
                }
                div.field {
                    label for="token-expires" { "Expires after" }
                    select #token-expires name="expires" {
                        @for (v, label) in EXPIRY {
                            option value=(v) selected[expires == *v] { (label) }
                        }
                    }
                }
                button.btn.btn-primary type="submit" { "Create token" }
            }
        }
    }
}

fn created_box(c: &CreatedToken) -> Markup {
    html! {
        section.card.token-created role="status" aria-labelledby="created-title" {
            h2 #created-title { "Token “" (c.info.name) "” created" }
            p { strong { "Copy it now: it will not be shown again." } }
            label.sr-only for="new-token" { "Your new token" }
            input #new-token.token-value type="text" readonly value=(c.token) spellcheck="false" autocomplete="off"
                data-copy data-copy-label="token";
            p.hint {
                "Use it with " code { "trove login --token" } ", in " code { "TROVE_TOKEN" }
                ", or as " code { "Authorization: Bearer …" } "."
            }
        }
    }
}
