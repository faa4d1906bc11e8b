use crate::error::{ApiResult, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use trove_http::{immutable_cache_control, redirect_headers, Serve};
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
    let d = svc.packages().prepare_download(&ctx, &scope, &name, &version).await?;
    let etag = format!("\"{}\"", d.digest);
    let size = d.size as u64;
    let serve = Serve::evaluate(&headers, &etag, size);
    let mut out = HeaderMap::new();
    let status = serve.write_headers(&mut out, &etag, size);
    if serve == Serve::Unsatisfiable {
        // The JSON error keeps its own Content-Type; of the archive's headers only the
        // validators and what a client needs to retry apply.
        let mut res = crate::error::ApiError(ServiceError::new(
            ErrorKind::RangeNotSatisfiable,
            "range_not_satisfiable",
            format!("the requested range is outside the {size}-byte archive"),
        ))
        .into_response();
        res.headers_mut().extend(out);
        return Ok(res);
    }
    out.insert(header::CACHE_CONTROL, immutable_cache_control(d.private));
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/gzip"));
    out.insert(
        "x-trove-digest",
        HeaderValue::from_str(&d.digest.to_string()).expect("ascii"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", d.file_name)) {
        out.insert(header::CONTENT_DISPOSITION, v);
    }
    let Some(served) = serve.bytes(size).filter(|_| method != Method::HEAD) else {
        return Ok((status, out).into_response());
    };
    let count = served.start == 0;
    if let Some(to) = svc
        .packages()
        .redirect_download(&d, count)
        .await?
        .as_deref()
        .and_then(redirect_headers)
    {
        return Ok((axum::http::StatusCode::TEMPORARY_REDIRECT, to).into_response());
    }
    let read = svc.packages().open_download(&d, serve.storage_range(), count).await?;
    metrics::counter!("trove_download_bytes_total").increment(served.end - served.start);
    let body = Body::from_stream(read.stream.map(|r| r.map_err(std::io::Error::other)));
    Ok((status, out, body).into_response())
}
