use super::{deletes_enabled, respond};
use crate::errors::OciResult;
use crate::request::Req;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;

/// `DELETE /v2/<name>/manifests/<digest>` deletes the manifest and its tags;
/// `DELETE /v2/<name>/manifests/<tag>` deletes only the tag.
pub async fn delete_manifest(req: Req, reference: String) -> OciResult<Response> {
    deletes_enabled(&req.state)?;
    req.state
        .services
        .oci()
        .delete_manifest(&req.caller.ctx, &req.repo, &reference)
        .await?;
    Ok(respond(
        StatusCode::ACCEPTED,
        &[("content-length", "0".into())],
        Body::empty(),
    ))
}
