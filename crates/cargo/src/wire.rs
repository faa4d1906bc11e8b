//! The body of `PUT /api/v1/crates/new`: a little-endian u32 length, the metadata JSON, a
//! u32 length and the `.crate` bytes. The JSON is read into memory (bounded); the `.crate`
//! streams straight into a staged blob, so its digest is the `cksum` of the index line.

use crate::errors::{CargoError, CargoResult};
use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use trove_service::blobs::BodyLimit;
use trove_service::Services;
use trove_storage::StagedBlob;

/// Largest metadata JSON accepted.
pub const MAX_METADATA_BYTES: u32 = 1 << 20;

/// The two halves of a publish body.
pub struct PublishBody {
    pub metadata: Bytes,
    pub crate_file: StagedBlob,
}

fn too_large(what: &str, limit: u64) -> CargoError {
    CargoError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the {what} is larger than the limit of {limit} bytes"),
    )
}

fn truncated() -> CargoError {
    CargoError::bad_request("the publish body is truncated: it ends before the lengths it declares")
}

/// Reads at least `n` bytes into `buf`; `false` when the body ends first.
async fn fill<S, E>(stream: &mut S, buf: &mut BytesMut, n: usize) -> CargoResult<bool>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    while buf.len() < n {
        match stream.next().await {
            Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
            Some(Err(e)) => return Err(CargoError::bad_request(format!("reading the request body failed: {e}"))),
            None => return Ok(false),
        }
    }
    Ok(true)
}

fn u32_at(buf: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(buf[at..at + 4].try_into().expect("four bytes"))
}

/// Splits the body: 413 before reading a part that is declared larger than its limit
/// (`max_crate` for the `.crate`), 400 when the body is shorter or longer than declared.
pub async fn read_publish(svc: &Services, headers: &HeaderMap, body: Body, max_crate: u64) -> CargoResult<PublishBody> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    let max_total = 8 + u64::from(MAX_METADATA_BYTES) + max_crate;
    if declared.is_some_and(|n| n > max_total) {
        trove_service::blobs::stage::drain(&mut stream).await;
        return Err(too_large("publish body", max_total));
    }
    let mut buf = BytesMut::new();
    if !fill(&mut stream, &mut buf, 4).await? {
        return Err(truncated());
    }
    let json_len = u32_at(&buf, 0);
    if json_len > MAX_METADATA_BYTES {
        trove_service::blobs::stage::drain(&mut stream).await;
        return Err(too_large("publish metadata", MAX_METADATA_BYTES.into()));
    }
    let head = 4 + json_len as usize + 4;
    if !fill(&mut stream, &mut buf, head).await? {
        return Err(truncated());
    }
    let crate_len = u64::from(u32_at(&buf, head - 4));
    if crate_len > max_crate {
        trove_service::blobs::stage::drain(&mut stream).await;
        return Err(too_large(".crate", max_crate));
    }
    let mut buf = buf.freeze();
    let metadata = buf.slice(4..4 + json_len as usize);
    let rest = buf.split_off(head);
    let mut crate_stream = futures::stream::iter([Ok::<_, axum::Error>(rest)]).chain(stream);
    let limit = BodyLimit {
        max: max_crate,
        what: ".crate",
        too_large_code: "crate_too_large",
        read_failed_code: "body_unreadable",
    };
    let crate_file = svc
        .blobs()
        .stage_body(&mut crate_stream, Some(crate_len), limit)
        .await?;
    if crate_file.size() != crate_len {
        let why = if crate_file.size() < crate_len {
            "truncated"
        } else {
            "longer than declared"
        };
        return Err(CargoError::bad_request(format!(
            "the publish body is {why}: the .crate should have {crate_len} bytes but {} arrived",
            crate_file.size()
        )));
    }
    Ok(PublishBody { metadata, crate_file })
}

/// Largest JSON body of the other endpoints (owners, settings).
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// Reads a small JSON request body into memory: 413 in cargo's shape past `MAX_JSON_BYTES`.
pub async fn read_json(headers: &HeaderMap, body: Body) -> CargoResult<Bytes> {
    let mut stream = body.into_data_stream();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_JSON_BYTES as u64) {
        trove_service::blobs::stage::drain(&mut stream).await;
        return Err(too_large("request body", MAX_JSON_BYTES as u64));
    }
    let mut buf = BytesMut::new();
    if fill(&mut stream, &mut buf, MAX_JSON_BYTES + 1).await? {
        trove_service::blobs::stage::drain(&mut stream).await;
        return Err(too_large("request body", MAX_JSON_BYTES as u64));
    }
    Ok(buf.freeze())
}

/// Builds a publish body (for tests and tools).
pub fn encode(metadata: &[u8], crate_bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + metadata.len() + crate_bytes.len());
    out.extend_from_slice(&(metadata.len() as u32).to_le_bytes());
    out.extend_from_slice(metadata);
    out.extend_from_slice(&(crate_bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(crate_bytes);
    out
}
