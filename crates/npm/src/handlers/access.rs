use super::{json, name_of, packument, small_json};
use crate::errors::{NpmError, NpmResult};
use crate::route::Req;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};
use trove_core::Visibility;

/// `GET /npm/-/package/<pkg>/visibility` (`npm access get status`): `{"public": …}`.
pub async fn get_visibility(req: Req, name: &str) -> NpmResult<Response> {
    let name = name_of(&req, name)?;
    let public = req
        .state
        .services
        .npm()
        .is_public(&req.ctx, &name.scope, &name.name)
        .await?;
    Ok(json(StatusCode::OK, serde_json::json!({ "public": public })))
}

/// `POST /npm/-/package/<pkg>/access` with `{"access": "public"|"restricted"}` (`npm access set
/// status=public|private`): the package's Trove visibility (owners only). npm's two-factor
/// settings have no Trove equivalent and are refused.
pub async fn set_access(req: Req, name: &str, body: Body) -> NpmResult<Response> {
    let name = name_of(&req, name)?;
    let body = small_json(body, 4096).await?;
    let visibility = match body.get("access").and_then(Value::as_str) {
        Some("public") => Visibility::Public,
        Some("restricted" | "private") => Visibility::Private,
        _ => {
            return Err(NpmError::bad_request(
                "unsupported_access",
                "only `access` (public or restricted) can be set here; two-factor settings do not apply to Trove",
            ))
        }
    };
    req.state
        .services
        .npm()
        .set_visibility(&req.ctx, &name.scope, &name.name, visibility)
        .await?;
    Ok(json(StatusCode::OK, serde_json::json!({ "ok": true })))
}

/// `GET /npm/-/package/<pkg>/collaborators` (`npm access list collaborators`): the package's
/// owners, each `read-write`.
pub async fn list_collaborators(req: Req, name: &str) -> NpmResult<Response> {
    let name = name_of(&req, name)?;
    let p = packument(&req, &name).await?;
    let collaborators: Map<String, Value> = p
        .package
        .maintainers
        .iter()
        .map(|m| (m.clone(), Value::String("read-write".into())))
        .collect();
    Ok(json(StatusCode::OK, Value::Object(collaborators)))
}
