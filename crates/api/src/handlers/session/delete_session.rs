use crate::error::ApiResult;
use crate::extract::{cookie_in, Caller, SESSION_COOKIE};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};

/// `DELETE /api/v1/session`: logout; clears the cookie.
pub async fn delete_session(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    req: HeaderMap,
) -> ApiResult<(StatusCode, HeaderMap)> {
    if let Some(c) = cookie_in(&req, SESSION_COOKIE) {
        state.services.accounts().logout(&ctx, c).await?;
    }

    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")).expect("ascii"),
    );
    Ok((StatusCode::NO_CONTENT, headers))
}
