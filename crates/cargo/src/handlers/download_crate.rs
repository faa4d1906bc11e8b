use crate::auth::{open_registry, Caller};
use crate::errors::{CargoError, CargoResult};
use crate::names::{crate_file_name, storage_name};
use crate::CargoState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use trove_core::Ecosystem;
use trove_http::{immutable_cache_control, redirect_headers, Serve};

/// `GET /cargo/{scope}/api/v1/crates/{name}/{version}/download` (config.json's `dl`): the
/// `.crate` from the content-addressed store (cargo checks it against the index `cksum`),
/// with `ETag`, ranges and immutable caching; counted in the shared download stats.
pub async fn download_crate(
    State(state): State<CargoState>,
    Caller(ctx): Caller,
    method: Method,
    Path((scope, name, version)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> CargoResult<Response> {
    let svc = &state.services;
    open_registry(&state, &ctx, &scope, &state.base(&headers)).await?;
    let packages = svc.packages().of(Ecosystem::Cargo);
    let d = packages
        .prepare_file(&ctx, &scope, &storage_name(&name), &crate_file_name(&name, &version))
        .await?;
    let etag = format!("\"{}\"", d.digest);
    let size = d.size as u64;
    let serve = Serve::evaluate(&headers, &etag, size);
    let mut out = HeaderMap::new();
    let status = serve.write_headers(&mut out, &etag, size);
    if serve == Serve::Unsatisfiable {
        let mut res = CargoError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            format!("the range is outside the {size}-byte .crate"),
        )
        .into_response();
        res.headers_mut().extend(out);
        return Ok(res);
    }
    out.insert(header::CACHE_CONTROL, immutable_cache_control(d.private));
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-tar"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", d.file_name)) {
        out.insert(header::CONTENT_DISPOSITION, v);
    }
    let Some(served) = serve.bytes(size).filter(|_| method != Method::HEAD) else {
        return Ok((status, out).into_response());
    };
    if let Some(to) = packages
        .redirect_download(&d, served.start == 0)
        .await?
        .as_deref()
        .and_then(redirect_headers)
    {
        return Ok((StatusCode::TEMPORARY_REDIRECT, to).into_response());
    }
    let read = packages
        .open_download(&d, serve.storage_range(), served.start == 0)
        .await?;
    metrics::counter!("trove_download_bytes_total").increment(served.end - served.start);
    let body = Body::from_stream(read.stream.map(|r| r.map_err(std::io::Error::other)));
    Ok((status, out, body).into_response())
}
