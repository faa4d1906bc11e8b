use super::respond;
use crate::errors::{Code, OciError, OciResult};
use crate::route::Req;
use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use axum::response::Response;
use futures::StreamExt;
use std::ops::Range;

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

pub(crate) enum RangeSpec {
    Full,
    Part(Range<u64>),
    Unsatisfiable,
}

/// Parses a single `bytes=` range; several ranges or other units get the whole blob.
pub(crate) fn parse_range(header: &str, size: u64) -> RangeSpec {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeSpec::Full;
    };
    if spec.contains(',') {
        return RangeSpec::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeSpec::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else {
            return RangeSpec::Full;
        };
        if n == 0 {
            return RangeSpec::Unsatisfiable;
        }
        size.saturating_sub(n)..size
    } else {
        let Ok(start) = a.parse::<u64>() else {
            return RangeSpec::Full;
        };
        let end = if b.is_empty() {
            size
        } else {
            match b.parse::<u64>() {
                Ok(e) if e >= start => (e + 1).min(size),
                // A range ending before it starts selects nothing.
                Ok(_) => return RangeSpec::Unsatisfiable,
                Err(_) => return RangeSpec::Full,
            }
        };
        start..end
    };
    if range.start >= size {
        return RangeSpec::Unsatisfiable;
    }
    RangeSpec::Part(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let part = |h: &str, size| match parse_range(h, size) {
            RangeSpec::Part(r) => Some(r),
            _ => None,
        };
        assert_eq!(part("bytes=0-9", 100), Some(0..10));
        assert_eq!(part("bytes=90-", 100), Some(90..100));
        assert_eq!(part("bytes=-10", 100), Some(90..100));
        assert!(matches!(parse_range("bytes=100-", 100), RangeSpec::Unsatisfiable));
        assert!(matches!(parse_range("bytes=0-1,4-5", 100), RangeSpec::Full));
        assert!(matches!(parse_range("bytes=0-0", 0), RangeSpec::Unsatisfiable));
        assert!(matches!(parse_range("bytes=500-0", 1000), RangeSpec::Unsatisfiable));
        assert!(matches!(parse_range("bytes=x-1", 1000), RangeSpec::Full));
    }
}
