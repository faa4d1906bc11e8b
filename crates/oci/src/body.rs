//! Request bodies: blob bytes are streamed to a staging file while hashed (never held in
//! memory); manifests are read into memory up to the spec's size limit.

use crate::errors::{Code, OciError, OciResult};
use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use trove_service::blobs::BodyLimit;
use trove_service::oci::codes;
use trove_service::Services;
use trove_storage::StagedBlob;

pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Streams the body into a staged blob, refusing more than `limit` bytes. A declared
/// `Content-Length` that the body does not match is `SIZE_INVALID`.
pub async fn stage(svc: &Services, headers: &HeaderMap, body: Body, limit: u64) -> OciResult<StagedBlob> {
    let declared = content_length(headers);
    let limit = BodyLimit {
        max: limit,
        what: "blob",
        too_large_code: codes::SIZE_INVALID,
        read_failed_code: codes::BLOB_UPLOAD_INVALID,
    };
    let staged = svc
        .blobs()
        .stage_body(&mut body.into_data_stream(), declared, limit)
        .await?;
    if declared.is_some_and(|n| n != staged.size()) {
        return Err(OciError::new(
            Code::SizeInvalid,
            format!(
                "Content-Length says {} bytes but {} arrived",
                declared.unwrap_or(0),
                staged.size()
            ),
        ));
    }
    Ok(staged)
}

/// Reads a small body into memory; more than `limit` bytes is 413 `SIZE_INVALID`.
pub async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> OciResult<Bytes> {
    let mut stream = body.into_data_stream();
    let too_big = || {
        OciError::new(
            Code::SizeInvalid,
            format!("the body is larger than the limit of {limit} bytes"),
        )
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
    };
    if content_length(headers).is_some_and(|n| n > limit as u64) {
        trove_service::blobs::stage::drain(&mut stream).await;
        return Err(too_big());
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| OciError::new(Code::BlobUploadInvalid, format!("reading the request body failed: {e}")))?;
        if buf.len() + chunk.len() > limit {
            trove_service::blobs::stage::drain(&mut stream).await;
            return Err(too_big());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}
