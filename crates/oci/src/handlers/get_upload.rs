use super::upload_response;
use crate::errors::OciResult;
use crate::request::Req;
use axum::http::StatusCode;
use axum::response::Response;

/// `GET /v2/<name>/blobs/uploads/<id>`: where a resumable upload stands (204 with `Range`).
pub async fn get_upload(req: Req, id: String) -> OciResult<Response> {
    let st = req
        .state
        .services
        .oci()
        .upload_status(&req.caller.ctx, &req.repo, &id)
        .await?;
    Ok(upload_response(StatusCode::NO_CONTENT, &req.repo, &st))
}
