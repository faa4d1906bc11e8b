use super::respond;
use crate::errors::OciResult;
use crate::route::Req;
use axum::body::Body;
use axum::http::{Method, StatusCode};
use axum::response::Response;

/// `GET|HEAD /v2/<name>/manifests/<tag or digest>`: the exact bytes pushed, with their media
/// type, digest and length.
pub async fn get_manifest(req: Req, reference: String) -> OciResult<Response> {
    let head = req.method == Method::HEAD;
    let m = req
        .state
        .services
        .oci_get_manifest(&req.caller.ctx, &req.repo, &reference, head)
        .await?;
    let by_digest = reference.contains(':');
    let cache = match (by_digest, m.private) {
        (true, false) => "public, max-age=31536000, immutable",
        (true, true) => "private, max-age=31536000, immutable",
        (false, _) => "no-cache",
    };
    let headers = [
        ("content-type", m.media_type.clone()),
        ("docker-content-digest", m.digest.to_string()),
        ("etag", format!("\"{}\"", m.digest)),
        ("content-length", m.size.to_string()),
        ("cache-control", cache.to_string()),
    ];
    let body = match m.body {
        Some(b) if !head => Body::from(b),
        _ => Body::empty(),
    };
    Ok(respond(StatusCode::OK, &headers, body))
}
