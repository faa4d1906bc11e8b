use super::name_of;
use crate::errors::{NpmError, NpmResult};
use crate::route::Req;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use trove_http::{immutable_cache_control, redirect_headers, Serve};

/// `GET|HEAD /npm/<pkg>/-/<name>-<version>.tgz`: streams the tarball of that file name (or
/// one `Range` of it) with `ETag` = its sha256 digest and immutable caching; counted as a
/// download of its version when served from its start.
pub async fn get_tarball(req: Req, name: &str, file: &str) -> NpmResult<Response> {
    let name = name_of(&req, name)?;
    let svc = &req.state.services;
    let d = svc
        .npm()
        .prepare_tarball(&req.ctx, &name.scope, &name.name, file)
        .await?;
    let etag = format!("\"{}\"", d.digest);
    let size = d.size as u64;
    let serve = Serve::evaluate(&req.headers, &etag, size);
    let mut out = HeaderMap::new();
    let status = serve.write_headers(&mut out, &etag, size);
    if serve == Serve::Unsatisfiable {
        let mut res = NpmError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "range_not_satisfiable",
            format!("the requested range is outside the {size}-byte tarball"),
        )
        .into_response();
        res.headers_mut().extend(out);
        return Ok(res);
    }
    out.insert(header::CACHE_CONTROL, immutable_cache_control(d.private));
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    let Some(served) = serve.bytes(size).filter(|_| req.method != Method::HEAD) else {
        return Ok((status, out).into_response());
    };
    if let Some(to) = svc
        .packages()
        .redirect_download(&d, served.start == 0)
        .await?
        .as_deref()
        .and_then(redirect_headers)
    {
        return Ok((StatusCode::TEMPORARY_REDIRECT, to).into_response());
    }
    let read = svc
        .packages()
        .open_download(&d, serve.storage_range(), served.start == 0)
        .await?;
    metrics::counter!("trove_download_bytes_total", "ecosystem" => "npm").increment(served.end - served.start);
    let body = Body::from_stream(read.stream.map(|r| r.map_err(std::io::Error::other)));
    Ok((status, out, body).into_response())
}
