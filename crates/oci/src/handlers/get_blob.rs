use super::respond;
use crate::errors::{Code, OciError, OciResult};
use crate::route::Req;
use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use axum::response::Response;
use futures::StreamExt;
use trove_core::range::{parse_range, RangeSpec};

/// `GET|HEAD /v2/<name>/blobs/<digest>`: streams the blob (or one `Range` of it).
pub async fn get_blob(req: Req, digest: String) -> OciResult<Response> {
    let svc = &req.state.services;
    let info = svc.oci_stat_blob(&req.caller.ctx, &req.repo, &digest).await?;
    let size = info.size;
    let etag = format!("\"{}\"", info.digest);
    let mut headers = vec![
        ("content-type", "application/octet-stream".to_string()),
        ("docker-content-digest", info.digest.to_string()),
        ("etag", etag.clone()),
        ("accept-ranges", "bytes".to_string()),
        (
            "cache-control",
            if info.private {
                "private, max-age=31536000, immutable"
            } else {
                "public, max-age=31536000, immutable"
            }
            .to_string(),
        ),
    ];
    let range_header = req
        .headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| {
            req.headers
                .get(header::IF_RANGE)
                .is_none_or(|v| v.as_bytes() == etag.as_bytes())
        });
    let range = match range_header.map(|r| parse_range(r, size)) {
        None | Some(RangeSpec::Full) => None,
        Some(RangeSpec::Part(r)) => Some(r),
        Some(RangeSpec::Unsatisfiable) => {
            return Err(OciError::new(
                Code::SizeInvalid,
                format!("the requested range is outside the {size}-byte blob"),
            )
            .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
            .with_header(header::CONTENT_RANGE, &format!("bytes */{size}")));
        }
    };
    let (status, served) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.clone()),
        None => (StatusCode::OK, 0..size),
    };
    if status == StatusCode::PARTIAL_CONTENT {
        headers.push((
            "content-range",
            format!("bytes {}-{}/{size}", served.start, served.end.saturating_sub(1)),
        ));
    }
    headers.push(("content-length", (served.end - served.start).to_string()));
    if req.method == Method::HEAD {
        return Ok(respond(status, &headers, Body::empty()));
    }
    let read = svc.oci_open_blob(&info, range).await?;
    metrics::counter!("trove_download_bytes_total", "ecosystem" => "oci").increment(served.end - served.start);
    let body = Body::from_stream(read.stream.map(|r| r.map_err(std::io::Error::other)));
    Ok(respond(status, &headers, body))
}
