use crate::error::ApiResult;
use crate::extract::{Caller, SESSION_COOKIE};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};

/// `DELETE /api/v1/session`: logout; clears the cookie.
pub async fn delete_session(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    req: HeaderMap,
) -> ApiResult<(StatusCode, HeaderMap)> {
    let cookie = req
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string());
    if let Some(c) = cookie {
        state.services.logout(&ctx, &c).await?;
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")).expect("ascii"),
    );
    Ok((StatusCode::NO_CONTENT, headers))
}
