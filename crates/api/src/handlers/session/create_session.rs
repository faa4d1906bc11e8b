use crate::error::{ApiResult, Json};
use crate::extract::{Caller, SESSION_COOKIE};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use trove_core::time::rfc3339;
use trove_service::views::user_view;
use trove_wire::{Login, Session};

/// `POST /api/v1/session`: password login. Sets an HttpOnly, SameSite=Lax session cookie and
/// returns the CSRF token that unsafe cookie-authenticated requests must send back.
pub async fn create_session(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Json(body): Json<Login>,
) -> ApiResult<(HeaderMap, Json<Session>)> {
    let s = state
        .services
        .accounts()
        .login(&ctx, &body.username, &body.password)
        .await?;
    let max_age = state.services.config.session_ttl_ms / 1000;
    let secure = if state.services.config.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        s.cookie
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("cookie is ascii"),
    );
    Ok((
        headers,
        Json(Session {
            user: user_view(&s.user),
            csrf_token: s.csrf_token,
            expires_at: rfc3339(s.expires_at),
        }),
    ))
}
