use super::json;
use crate::errors::{NpmError, NpmResult};
use crate::route::Req;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

/// `POST /npm/-/v1/login` (`npm login`, whose default is `--auth-type=web`): starts a device
/// login. npm opens (or prints) `loginUrl`, the web UI's approval page for its code, and
/// polls `doneUrl` until the person approves it there.
pub async fn start_web_login(req: Req) -> NpmResult<Response> {
    let started = req
        .state
        .services
        .accounts()
        .start_device_login(Some("npm login"))
        .await?;
    Ok(json(
        StatusCode::OK,
        serde_json::json!({
            "loginUrl": started.verification_uri_complete,
            "doneUrl": format!("{}/-/v1/done?session={}", req.registry_url(), started.device_code),
        }),
    ))
}

/// `GET /npm/-/v1/done?session=<device code>`: `202` with `Retry-After` until the login is
/// approved, then `200 {"token": …}` once (an API token with the scopes of client logins).
pub async fn poll_web_login(req: Req) -> NpmResult<Response> {
    let query = req.query();
    let session = query
        .iter()
        .find(|(k, _)| k == "session")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| NpmError::bad_request("invalid_session", "the URL names no login session"))?;
    match req.state.services.accounts().poll_device_login(&req.ctx, session).await {
        Ok(grant) => Ok(json(
            StatusCode::OK,
            serde_json::json!({ "token": grant.access_token, "username": grant.username }),
        )),
        Err(e) if e.code == "authorization_pending" || e.code == "slow_down" => {
            let mut res = json(StatusCode::ACCEPTED, serde_json::json!({}));
            let wait = if e.code == "slow_down" { "7" } else { "2" };
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static(wait));
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}
