//! One file per `/npm` action, and what they share: names, packuments, JSON answers.

pub mod access;
pub mod audit;
pub mod dist_tags;
pub mod get_packument;
pub mod get_tarball;
pub mod get_version;
pub mod login;
pub mod put_package;
pub mod search;
pub mod tokens;
pub mod unpublish;
pub mod web_login;
pub mod whoami;

use crate::errors::{NpmError, NpmResult};
use crate::names::NpmName;
use crate::render::Packument;
use crate::route::Req;
use axum::body::Body;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use std::sync::Arc;
use trove_service::blobs::BodyLimit;
use trove_storage::StagedBlob;

/// The Trove name of an npm name in a request. Reads of names that cannot exist here are
/// simply not found; writes say why the name is refused.
pub(crate) fn name_of(req: &Req, npm: &str) -> NpmResult<NpmName> {
    NpmName::parse(npm, req.state.config.unscoped_namespace.as_deref()).map_err(|e| {
        if req.method == Method::GET || req.method == Method::HEAD {
            NpmError::not_found(e.message)
        } else {
            e
        }
    })
}

/// A package's packuments: from this node's cache when public and fresh, else read (and
/// cached when public). 404 when the caller may not see the package.
pub(crate) async fn packument(req: &Req, name: &NpmName) -> NpmResult<Arc<Packument>> {
    let state = &req.state;
    let svc = &state.services;
    let registry = req.registry_url();
    let generation = svc.db.write_generation();
    let key = (registry, name.scope.clone(), name.name.clone());
    if let Some(p) = state.packuments.get(&key, generation) {
        if !p.is_private() {
            return Ok(p);
        }
    }
    let package = svc.npm().package(&req.ctx, &name.scope, &name.name).await?;
    let p = Arc::new(Packument::new(package, key.0.clone(), name.npm()));
    if !p.is_private() {
        state.packuments.put(key, generation, p.clone());
    }
    Ok(p)
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, value: serde_json::Value) -> Response {
    let mut res = (status, value.to_string()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

/// Streams a request body into a staged file, refused with 413 past `limit` (before
/// anything more is read when `Content-Length` says so).
pub(crate) async fn stage(req: &Req, body: Body, max: u64, what: &'static str) -> NpmResult<StagedBlob> {
    let declared = req
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let limit = BodyLimit {
        max,
        what,
        too_large_code: "too_large",
        read_failed_code: "bad_body",
    };
    let mut stream = body.into_data_stream().boxed();
    Ok(req
        .state
        .services
        .blobs()
        .stage_body(&mut stream, declared, limit)
        .await?)
}

/// Reads a small JSON body (dist-tag versions, logins, audits), refused past `max` bytes.
pub(crate) async fn small_json(body: Body, max: usize) -> NpmResult<serde_json::Value> {
    let bytes = axum::body::to_bytes(body, max).await.map_err(|_| {
        NpmError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request body is larger than {max} bytes"),
        )
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| NpmError::bad_request("bad_json", format!("the body is not valid JSON: {e}")))
}
