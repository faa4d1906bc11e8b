use super::{blob_created, upload_response};
use crate::auth;
use crate::body;
use crate::errors::{Code, OciError, OciResult};
use crate::request::Req;
use axum::http::{header, StatusCode};
use axum::response::Response;
use trove_service::oci::{OciAction, RepoName};

/// `POST /v2/<name>/blobs/uploads/`:
/// - `?mount=<digest>&from=<repo>` mounts a blob the caller can read elsewhere (201), or
///   without `from` from any such repository; when that is not possible it starts an upload;
/// - `?digest=<digest>` with the body pushes a whole blob at once (201);
/// - otherwise starts an upload session (202 with its `Location`).
pub async fn start_upload(req: Req) -> OciResult<Response> {
    let svc = &req.state.services;
    let ctx = &req.caller.ctx;
    if let Some(mount) = req.query("mount") {
        let from = req.query("from");
        // A registry token must also grant pull on a named source: when the caller could
        // have it, ask for a token that does (401); otherwise upload instead. Without `from`,
        // any repository the credential behind the token can read may serve the blob.
        let mut may = true;
        if let Some(f) = from.filter(|f| !req.caller.covers(f, OciAction::Pull)) {
            may = false;
            if let Ok(src) = RepoName::parse(f) {
                if svc.oci().allowed(ctx, &src, OciAction::Pull).await? {
                    let scope = format!(
                        "{} {}",
                        auth::scope_for(req.repo.as_str(), OciAction::Push),
                        auth::scope_for(f, OciAction::Pull)
                    );
                    let value =
                        auth::challenge_value(&req.state, &req.headers, Some(&scope), Some("insufficient_scope"));
                    return Err(
                        OciError::new(Code::Unauthorized, format!("the token does not grant pull on `{f}`"))
                            .with_header(header::WWW_AUTHENTICATE, &value),
                    );
                }
            }
        }
        if may {
            if let Some(info) = svc.oci().mount_blob(ctx, &req.repo, mount, from).await? {
                return Ok(blob_created(&req.repo, &info));
            }
        }
    } else if let Some(digest) = req.query("digest").map(str::to_string) {
        let limit = req.state.config.max_blob_bytes;
        let staged = body::stage(svc, &req.headers, req.body, limit).await?;
        let info = svc.oci().push_blob(ctx, &req.repo, &digest, staged).await?;
        return Ok(blob_created(&req.repo, &info));
    }
    let st = svc.oci().start_upload(ctx, &req.repo).await?;
    Ok(upload_response(StatusCode::ACCEPTED, &req.repo, &st))
}
