use super::respond;
use crate::errors::OciResult;
use crate::request::Req;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;

/// `DELETE /v2/<name>/blobs/uploads/<id>`: cancels the upload and drops its chunks.
pub async fn cancel_upload(req: Req, id: String) -> OciResult<Response> {
    req.state
        .services
        .oci()
        .cancel_upload(&req.caller.ctx, &req.repo, &id)
        .await?;
    Ok(respond(StatusCode::NO_CONTENT, &[], Body::empty()))
}
