use crate::error::{ApiResult, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use trove_core::range::{parse_range, RangeSpec};
use trove_service::{ErrorKind, ServiceError};

/// `GET|HEAD /api/v1/packages/{scope}/{name}/versions/{version}/download`: streams the
/// archive with `ETag` = its digest, single byte `Range`s, `If-None-Match` and immutable
/// caching. Counted once per full or from-the-start download, in memory.
pub async fn download_version(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    method: Method,
    Path((scope, name, version)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let svc = &state.services;
    let d = svc.prepare_download(&ctx, &scope, &name, &version).await?;
    let etag = format!("\"{}\"", d.digest);
    let size = d.size as u64;
    let mut out = HeaderMap::new();
    out.insert(header::ETAG, HeaderValue::from_str(&etag).expect("ascii"));
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if d.private {
            "private, max-age=31536000, immutable"
        } else {
            "public, max-age=31536000, immutable"
        }),
    );
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/gzip"));
    out.insert(
        "x-trove-digest",
        HeaderValue::from_str(&d.digest.to_string()).expect("ascii"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", d.file_name)) {
        out.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(inm) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        if inm.split(',').any(|t| t.trim() == etag || t.trim() == "*") {
            return Ok((StatusCode::NOT_MODIFIED, out).into_response());
        }
    }
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        // A Range is honoured only while the If-Range validator (if any) still matches.
        Some(r)
            if headers
                .get(header::IF_RANGE)
                .is_none_or(|v| v.as_bytes() == etag.as_bytes()) =>
        {
            match parse_range(r, size) {
                RangeSpec::Full => None,
                RangeSpec::Part(r) => Some(r),
                RangeSpec::Unsatisfiable => {
                    // The JSON error keeps its own Content-Type; of the archive's headers only
                    // the validators and what a client needs to retry apply.
                    let mut res = crate::error::ApiError(ServiceError::new(
                        ErrorKind::RangeNotSatisfiable,
                        "range_not_satisfiable",
                        format!("the range `{r}` is outside the {size}-byte archive"),
                    ))
                    .into_response();
                    let h = res.headers_mut();
                    h.insert(
                        header::CONTENT_RANGE,
                        HeaderValue::from_str(&format!("bytes */{size}")).expect("ascii"),
                    );
                    for name in [header::ETAG, header::ACCEPT_RANGES] {
                        if let Some(v) = out.get(&name) {
                            h.insert(name, v.clone());
                        }
                    }
                    return Ok(res);
                }
            }
        }
        _ => None,
    };
    let (status, served) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.clone()),
        None => (StatusCode::OK, 0..size),
    };
    if status == StatusCode::PARTIAL_CONTENT {
        out.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&format!(
                "bytes {}-{}/{size}",
                served.start,
                served.end.saturating_sub(1)
            ))
            .expect("ascii"),
        );
    }
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(served.end - served.start));
    if method == Method::HEAD {
        return Ok((status, out).into_response());
    }
    let count = served.start == 0;
    let read = svc.open_download(&d, range, count).await?;
    let bytes = served.end - served.start;
    metrics::counter!("trove_download_bytes_total").increment(bytes);
    let body = Body::from_stream(read.stream.map(|r| r.map_err(std::io::Error::other)));
    Ok((status, out, body).into_response())
}
