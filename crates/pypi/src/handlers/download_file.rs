use crate::auth::Caller;
use crate::errors::{PypiError, PypiResult};
use crate::PypiState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use trove_core::Ecosystem;
use trove_http::{immutable_cache_control, redirect_headers, Serve};

/// The suffix of PEP 658 metadata files, served beside each distribution.
pub const METADATA_SUFFIX: &str = ".metadata";

/// `GET|HEAD /pypi/{scope}/files/{project}/{filename}`: a distribution file, or its core
/// metadata (`{filename}.metadata`, PEP 658), with `ETag` = its digest, byte ranges and
/// immutable caching. Full (or from-the-start) downloads of distributions count in the
/// package's download stats; metadata fetches do not.
pub async fn download_file(
    State(state): State<PypiState>,
    Caller(ctx): Caller,
    method: Method,
    Path((scope, project, filename)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> PypiResult<Response> {
    let packages = state.services.packages().of(Ecosystem::Pypi);
    let d = packages.prepare_file(&ctx, &scope, &project, &filename).await?;
    let etag = format!("\"{}\"", d.digest);
    let size = d.size as u64;
    let serve = Serve::evaluate(&headers, &etag, size);
    let mut out = HeaderMap::new();
    let status = serve.write_headers(&mut out, &etag, size);
    if serve == Serve::Unsatisfiable {
        let mut res = PypiError::new(StatusCode::RANGE_NOT_SATISFIABLE, "Range Not Satisfiable").into_response();
        res.headers_mut().extend(out);
        return Ok(res);
    }
    let is_metadata = filename.ends_with(METADATA_SUFFIX);
    out.insert(header::CACHE_CONTROL, immutable_cache_control(d.private));
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if is_metadata {
            "text/plain; charset=utf-8"
        } else {
            "application/octet-stream"
        }),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", d.file_name)) {
        out.insert(header::CONTENT_DISPOSITION, v);
    }
    let Some(served) = serve.bytes(size).filter(|_| method != Method::HEAD) else {
        return Ok((status, out).into_response());
    };
    let count = served.start == 0 && !is_metadata;
    if !is_metadata {
        if let Some(to) = packages
            .redirect_download(&d, count)
            .await?
            .as_deref()
            .and_then(redirect_headers)
        {
            return Ok((StatusCode::TEMPORARY_REDIRECT, to).into_response());
        }
    }
    let read = packages.open_download(&d, serve.storage_range(), count).await?;
    metrics::counter!("trove_download_bytes_total").increment(served.end - served.start);
    let body = Body::from_stream(read.stream.map(|r| r.map_err(std::io::Error::other)));
    Ok((status, out, body).into_response())
}
