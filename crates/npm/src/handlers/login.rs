use super::{json, small_json};
use crate::errors::{NpmError, NpmResult};
use crate::route::Req;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

/// `PUT /npm/-/user/org.couchdb.user:<name>` (`npm login --auth-type=legacy`, `npm adduser`):
/// `{name, password[, email]}` for a Trove API token (scopes read, publish, yank, owners),
/// which npm stores as `_authToken`. With an email and no such user, registers one first
/// (when registration is open). Counted as a login attempt by the rate limits.
pub async fn login(req: Req, user: &str, body: Body) -> NpmResult<Response> {
    let body = small_json(body, 64 * 1024).await?;
    let text = |k: &str| body.get(k).and_then(Value::as_str);
    let name = text("name").unwrap_or(user);
    if name != user {
        return Err(NpmError::bad_request(
            "name_mismatch",
            format!("the body logs in `{name}` but was sent for `{user}`"),
        ));
    }
    let password = text("password")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| NpmError::bad_request("invalid_body", "a login needs a `password`"))?;
    let login = req
        .state
        .services
        .npm()
        .login(&req.ctx, user, password, text("email"))
        .await?;
    Ok(json(
        StatusCode::CREATED,
        serde_json::json!({
            "ok": if login.created { format!("user '{}' created", login.username) } else { format!("you are authenticated as '{}'", login.username) },
            "id": format!("org.couchdb.user:{}", login.username),
            "rev": "1-0",
            "token": login.token,
        }),
    ))
}

/// `GET /npm/-/user/org.couchdb.user:<name>`: whether a user exists (`npm owner add` looks
/// the new owner up first). Email addresses are not shown.
pub async fn get_user(req: Req, user: &str) -> NpmResult<Response> {
    let name = req.state.services.npm().find_user(user).await?;
    Ok(json(
        StatusCode::OK,
        serde_json::json!({ "_id": format!("org.couchdb.user:{name}"), "name": name, "email": "" }),
    ))
}
