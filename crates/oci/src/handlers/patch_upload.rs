use super::{upload_location, upload_range, upload_response};
use crate::body;
use crate::errors::{Code, OciError, OciResult};
use crate::request::Req;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use trove_service::oci::RepoName;
use trove_service::{Ctx, Services};

/// `Content-Range: <start>-<end>` (also `bytes <start>-<end>/<total>`), inclusive.
pub(crate) fn content_range(headers: &HeaderMap) -> OciResult<Option<(u64, u64)>> {
    let Some(v) = headers.get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let bad = || OciError::new(Code::BlobUploadInvalid, "Content-Range must be `<start>-<end>`");
    let s = v.to_str().map_err(|_| bad())?.trim();
    let s = s.strip_prefix("bytes ").unwrap_or(s);
    let s = s.split('/').next().unwrap_or(s);
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let start = a.trim().parse::<u64>().map_err(|_| bad())?;
    let end = b.trim().parse::<u64>().map_err(|_| bad())?;
    if end < start {
        return Err(
            OciError::new(Code::BlobUploadInvalid, "Content-Range ends before it starts")
                .with_status(StatusCode::RANGE_NOT_SATISFIABLE),
        );
    }
    if let Some(len) = body::content_length(headers) {
        if len != end - start + 1 {
            return Err(OciError::new(
                Code::SizeInvalid,
                format!(
                    "Content-Range covers {} bytes but Content-Length is {len}",
                    end - start + 1
                ),
            ));
        }
    }
    Ok(Some((start, end)))
}

/// Adds where the upload stands to a 416, so the client can resume.
pub(crate) async fn with_progress(e: OciError, svc: &Services, ctx: &Ctx, repo: &RepoName, id: &str) -> OciError {
    if e.status != StatusCode::RANGE_NOT_SATISFIABLE {
        return e;
    }
    match svc.oci().upload_status(ctx, repo, id).await {
        Ok(st) => e
            .with_header(header::LOCATION, &upload_location(repo, &st.id))
            .with_header(header::RANGE, &upload_range(st.size))
            .with_header(header::HeaderName::from_static("docker-upload-uuid"), &st.id),
        Err(_) => e,
    }
}

/// `PATCH /v2/<name>/blobs/uploads/<id>`: appends a chunk. With `Content-Range` the chunk
/// must start where the upload ends (416 otherwise); without it the body is appended
/// (streamed upload).
pub async fn patch_upload(req: Req, id: String) -> OciResult<Response> {
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
        // An out-of-order chunk is refused (416) before its body is read, by the service.
        let range = content_range(&headers)?;
        let declared = body::content_length(&headers);
        let mut stream = request_body.into_data_stream();
        let st = svc
            .oci()
            .append_upload_body(ctx, &repo, &id, range.map(|r| r.0), &mut stream, declared, limit)
            .await?;
        Ok(upload_response(StatusCode::ACCEPTED, &repo, &st))
    }
    .await;
    match result {
        Ok(r) => Ok(r),
        Err(e) => Err(with_progress(e, svc, ctx, &repo, &id).await),
    }
}
