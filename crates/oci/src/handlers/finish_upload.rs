use super::blob_created;
use super::patch_upload::{content_range, with_progress};
use crate::body;
use crate::errors::{Code, OciError, OciResult};
use crate::request::Req;
use axum::response::Response;

/// `PUT /v2/<name>/blobs/uploads/<id>?digest=<digest>`, optionally with the last chunk:
/// verifies the whole upload against the digest and makes the blob visible (201).
pub async fn finish_upload(req: Req, id: String) -> OciResult<Response> {
    let digest = req.query("digest").map(str::to_string);
    let Req {
        state,
        caller,
        repo,
        headers,
        body: request_body,
        ..
    } = req;
    let svc = &state.services;
    let ctx = &caller.ctx;
    let limit = state.config.max_blob_bytes;
    let result = async {
        let digest = digest.ok_or_else(|| {
            OciError::new(
                Code::DigestInvalid,
                "the closing PUT needs ?digest=<digest of the whole blob>",
            )
        })?;
        let range = content_range(&headers)?;
        let declared = body::content_length(&headers);
        let mut stream = request_body.into_data_stream();
        let info = svc
            .oci()
            .finish_upload_body(
                ctx,
                &repo,
                &id,
                &digest,
                range.map(|r| r.0),
                &mut stream,
                declared,
                limit,
            )
            .await?;
        Ok(blob_created(&repo, &info))
    }
    .await;
    match result {
        Ok(r) => Ok(r),
        Err(e) => Err(with_progress(e, svc, ctx, &repo, &id).await),
    }
}
