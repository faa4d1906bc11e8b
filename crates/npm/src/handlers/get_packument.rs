use super::{name_of, packument};
use crate::errors::NpmResult;
use crate::render::{wants_abbreviated, ABBREVIATED};
use crate::route::Req;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use trove_http::Serve;

/// `GET|HEAD /npm/<pkg>`: the abbreviated packument when the client accepts it (npm, pnpm and
/// yarn installs do), else the full one (`?write=true` always gets the full one). Each
/// representation has its own `ETag`; `If-None-Match` gets `304`; `Vary: Accept`.
pub async fn get_packument(req: Req, name: &str) -> NpmResult<Response> {
    let name = name_of(&req, name)?;
    let p = packument(&req, &name).await?;
    let accept = req.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let write = req.query().iter().any(|(k, v)| k == "write" && v == "true");
    let (doc, content_type) = if wants_abbreviated(accept) && !write {
        (p.abbreviated(), ABBREVIATED)
    } else {
        (p.full(), "application/json")
    };
    let size = doc.bytes.len() as u64;
    let serve = Serve::evaluate(&req.headers, &doc.etag, size);
    let serve = if serve == Serve::NotModified {
        serve
    } else {
        Serve::Full
    };
    let mut out = HeaderMap::new();
    let status = serve.write_headers(&mut out, &doc.etag, size);
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(header::VARY, HeaderValue::from_static("Accept"));
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if p.is_private() {
            "private, no-cache"
        } else {
            "no-cache"
        }),
    );
    if serve == Serve::NotModified || req.method == Method::HEAD {
        return Ok((status, out).into_response());
    }
    Ok((status, out, Body::from(doc.bytes.clone())).into_response())
}
