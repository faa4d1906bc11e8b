use super::{deletes_enabled, respond};
use crate::errors::OciResult;
use crate::request::Req;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;

/// `DELETE /v2/<name>/blobs/<digest>`: the blob leaves the repository; its bytes go at the
/// next garbage collection if nothing else uses them.
pub async fn delete_blob(req: Req, digest: String) -> OciResult<Response> {
    deletes_enabled(&req.state)?;
    req.state
        .services
        .oci()
        .delete_blob(&req.caller.ctx, &req.repo, &digest)
        .await?;
    Ok(respond(
        StatusCode::ACCEPTED,
        &[("content-length", "0".into())],
        Body::empty(),
    ))
}
