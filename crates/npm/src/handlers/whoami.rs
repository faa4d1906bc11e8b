use super::json;
use crate::errors::NpmResult;
use crate::route::Req;
use axum::http::StatusCode;
use axum::response::Response;

/// `GET /npm/-/whoami`: the username of the token (`npm whoami`); 401 without one.
pub fn whoami(req: Req) -> NpmResult<Response> {
    let username = req.state.services.npm().whoami(&req.ctx)?;
    Ok(json(StatusCode::OK, serde_json::json!({ "username": username })))
}
