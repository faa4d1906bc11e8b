use super::respond;
use crate::errors::OciResult;
use crate::request::Req;
use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use axum::response::Response;

/// `GET|HEAD /v2/<name>/manifests/<tag or digest>`: the exact bytes pushed, with their media
/// type, digest and length; `304 Not Modified` when `If-None-Match` names its digest. A `GET`
/// answered in full counts as a pull of the repository when the service says it is one.
pub async fn get_manifest(req: Req, reference: String) -> OciResult<Response> {
    let head = req.method == Method::HEAD;
    let m = req
        .state
        .services
        .oci()
        .get_manifest(&req.caller.ctx, &req.repo, &reference, head)
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
    let etag = format!("\"{}\"", m.digest);
    let not_modified = req
        .headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|inm| {
            inm.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        });
    if not_modified {
        let headers: Vec<(&str, String)> = headers.into_iter().filter(|h| h.0 != "content-length").collect();
        return Ok(respond(StatusCode::NOT_MODIFIED, &headers, Body::empty()));
    }
    let body = match &m.body {
        Some(b) if !head => Body::from(b.clone()),
        _ => Body::empty(),
    };
    if !head {
        req.state.services.oci().count_pull(&m);
    }
    Ok(respond(StatusCode::OK, &headers, body))
}
