//! Log in, register, log out.

use crate::error::{redirect, WebError, WebResult};
use crate::form::FormData;
use crate::layout::{csrf_field, notice, Page};
use crate::session::{self, Viewer};
use crate::WebState;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use trove_service::accounts::NewUser;
use trove_service::ErrorKind;

/// Where to go after logging in: a local path only (no `//host`, no scheme).
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if ok {
        next.to_string()
    } else {
        "/dashboard".to_string()
    }
}

fn query_value(raw: &Option<String>, key: &str) -> String {
    raw.as_deref()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v))
        .unwrap_or_default()
}

/// The pre-session CSRF token: the viewer's cookie when it looks right, else a new one
/// (returned with the `Set-Cookie` to send).
fn pre_session_token(state: &WebState, viewer: &Viewer) -> (String, Option<String>) {
    match viewer.pre_session_csrf.as_deref() {
        Some(t)
            if t.len() >= 16
                && t.len() <= 128
                && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) =>
        {
            (t.to_string(), None)
        }
        _ => {
            let t = trove_service::auth::random_secret(24);
            let c = session::pre_session_cookie(state, &t);
            (t, Some(c))
        }
    }
}

/// A redirect that also sets cookies.
fn redirect_with_cookies(to: &str, cookies: &[String]) -> Response {
    let mut res = redirect(to);
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

struct LoginForm<'a> {
    username: &'a str,
    next: &'a str,
    error: Option<&'a str>,
}

fn login_page(state: &WebState, viewer: &Viewer, f: LoginForm<'_>, status: StatusCode) -> Response {
    let (token, cookie) = pre_session_token(state, viewer);
    let body = html! {
        div.auth-wrap {
            section.card.auth-card aria-labelledby="login-title" {
                h1 #login-title { "Log in to Trove" }
                @if let Some(e) = f.error { (notice("error", e)) }
                form.stack action="/login" method="post" {
                    (csrf_field(&token))
                    input type="hidden" name="next" value=(f.next);
                    div.field {
                        label for="username" { "Username" }
                        input #username type="text" name="username" value=(f.username) required
                            autocomplete="username" autocapitalize="none" spellcheck="false";
                    }
                    div.field {
                        label for="password" { "Password" }
                        input #password type="password" name="password" required autocomplete="current-password";
                    }
                    button.btn.btn-primary.btn-block type="submit" { "Log in" }
                }
                p.auth-switch {
                    "New here? "
                    a href={ "/register" @if !f.next.is_empty() { "?next=" (crate::fmt::encode(f.next)) } } { "Create an account" }
                }
            }
        }
    };
    let mut page = Page::new(viewer.chrome(), "Log in", body).status(status);
    if let Some(c) = cookie {
        page = page.cookie(c);
    }
    let mut res = page.into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

pub async fn login_form(State(state): State<WebState>, viewer: Viewer, RawQuery(raw): RawQuery) -> WebResult {
    let next = query_value(&raw, "next");
    if viewer.user().is_some() {
        return Ok(redirect(&safe_next(&next)));
    }
    Ok(login_page(
        &state,
        &viewer,
        LoginForm {
            username: "",
            next: &next,
            error: None,
        },
        StatusCode::OK,
    ))
}

pub async fn login(State(state): State<WebState>, viewer: Viewer, form: FormData) -> WebResult {
    form.pre_session(&viewer)?;
    let username = form.get("username");
    let next = safe_next(form.get("next"));
    match state
        .services
        .accounts()
        .login(&viewer.ctx, username, form.raw("password"))
        .await
    {
        Ok(s) => {
            // Someone else was signed in on this browser: end that session too.
            if let Some(old) = &viewer.session_cookie {
                if let Err(e) = state.services.accounts().logout(&viewer.ctx, old).await {
                    tracing::warn!(error = %e.message, "could not end the previous session");
                }
            }
            Ok(redirect_with_cookies(
                &next,
                &[
                    session::session_cookie(&state, &s.cookie),
                    session::clear_pre_session_cookie(&state),
                ],
            ))
        }
        Err(e) if e.kind == ErrorKind::Unauthenticated => Ok(login_page(
            &state,
            &viewer,
            LoginForm {
                username,
                next: form.get("next"),
                error: Some("Wrong username or password."),
            },
            StatusCode::UNAUTHORIZED,
        )),
        Err(e) => Err(WebError::from_service(e, viewer.chrome())),
    }
}

struct RegisterForm<'a> {
    username: &'a str,
    email: &'a str,
    next: &'a str,
    error: Option<&'a str>,
}

fn register_page(state: &WebState, viewer: &Viewer, f: RegisterForm<'_>, status: StatusCode) -> Response {
    let open = state.services.config.registration_open;
    let (token, cookie) = pre_session_token(state, viewer);
    let body = html! {
        div.auth-wrap {
            section.card.auth-card aria-labelledby="register-title" {
                h1 #register-title { "Create your account" }
                @if !open {
                    (notice("warn", "Registration is closed on this registry. Ask an administrator for an account."))
                } @else {
                    @if let Some(e) = f.error { (notice("error", e)) }
                    form.stack action="/register" method="post" {
                        (csrf_field(&token))
                        input type="hidden" name="next" value=(f.next);
                        div.field {
                            label for="username" { "Username" }
                            input #username type="text" name="username" value=(f.username) required
                                autocomplete="username" autocapitalize="none" spellcheck="false"
                                maxlength="64" aria-describedby="username-hint";
                            p.hint #username-hint { "Lowercase letters, digits and - _ . — also the namespace of your packages." }
                        }
                        div.field {
                            label for="email" { "Email" }
                            input #email type="email" name="email" value=(f.email) required autocomplete="email";
                        }
                        div.field {
                            label for="password" { "Password" }
                            input #password type="password" name="password" required minlength="8"
                                autocomplete="new-password" aria-describedby="password-hint";
                            p.hint #password-hint { "At least 8 characters." }
                        }
                        button.btn.btn-primary.btn-block type="submit" { "Create account" }
                    }
                }
                p.auth-switch { "Already have an account? " a href="/login" { "Log in" } }
            }
        }
    };
    let mut page = Page::new(viewer.chrome(), "Register", body).status(status);
    if let Some(c) = cookie {
        page = page.cookie(c);
    }
    let mut res = page.into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

pub async fn register_form(State(state): State<WebState>, viewer: Viewer, RawQuery(raw): RawQuery) -> WebResult {
    let next = query_value(&raw, "next");
    if viewer.user().is_some() {
        return Ok(redirect("/dashboard"));
    }
    Ok(register_page(
        &state,
        &viewer,
        RegisterForm {
            username: "",
            email: "",
            next: &next,
            error: None,
        },
        StatusCode::OK,
    ))
}

pub async fn register(State(state): State<WebState>, viewer: Viewer, form: FormData) -> WebResult {
    form.pre_session(&viewer)?;
    let svc = &state.services;
    let new = NewUser {
        username: form.get("username").to_string(),
        email: form.get("email").to_string(),
        password: form.raw("password").to_string(),
    };
    if let Err(e) = svc.accounts().register(&viewer.ctx, new.clone()).await {
        let status = match e.kind {
            ErrorKind::Unprocessable | ErrorKind::BadRequest => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            _ => return Err(WebError::from_service(e, viewer.chrome())),
        };
        return Ok(register_page(
            &state,
            &viewer,
            RegisterForm {
                username: &new.username,
                email: &new.email,
                next: form.get("next"),
                error: Some(&e.message),
            },
            status,
        ));
    }
    let s = svc
        .accounts()
        .login(&viewer.ctx, &new.username, &new.password)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let next = match form.get("next") {
        "" => "/dashboard?welcome=1".to_string(),
        n => safe_next(n),
    };
    Ok(redirect_with_cookies(
        &next,
        &[
            session::session_cookie(&state, &s.cookie),
            session::clear_pre_session_cookie(&state),
        ],
    ))
}

pub async fn logout(State(state): State<WebState>, viewer: Viewer, form: FormData) -> WebResult {
    let Some(cookie) = viewer.session_cookie.clone() else {
        // No live session: nothing to end but the stale cookie.
        return Ok(redirect_with_cookies("/", &[session::clear_session_cookie(&state)]));
    };
    form.signed_in(&viewer)?;
    state
        .services
        .accounts()
        .logout(&viewer.ctx, &cookie)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    Ok(redirect_with_cookies("/", &[session::clear_session_cookie(&state)]))
}
