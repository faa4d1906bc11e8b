use super::respond;
use crate::body;
use crate::errors::OciResult;
use crate::request::Req;
use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::Response;
use trove_service::oci::MAX_MANIFEST_BYTES;

/// `PUT /v2/<name>/manifests/<tag or digest>[?tag=…]`: stores the manifest once every blob
/// and manifest it references is in the repository; answers `OCI-Subject` for referrers and
/// `OCI-Tag` for the tags given as parameters.
pub async fn put_manifest(req: Req, reference: String) -> OciResult<Response> {
    let content_type = req
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // `?tag=a&tag=b` on a push by digest also points those tags at it.
    let tags: Vec<String> = req
        .query
        .iter()
        .filter(|(k, v)| k == "tag" && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect();
    // Who may push is settled before the body is read or validated.
    req.state.services.oci().check_push(&req.caller.ctx, &req.repo).await?;
    let bytes = body::read_limited(&req.headers, req.body, MAX_MANIFEST_BYTES).await?;
    let pushed = req
        .state
        .services
        .oci()
        .put_manifest(
            &req.caller.ctx,
            &req.repo,
            &reference,
            &tags,
            content_type.as_deref(),
            bytes,
        )
        .await?;
    let mut headers = vec![
        ("location", format!("/v2/{}/manifests/{}", req.repo, pushed.digest)),
        ("docker-content-digest", pushed.digest.to_string()),
        ("content-length", "0".to_string()),
    ];
    if let Some(s) = pushed.subject {
        headers.push(("oci-subject", s));
    }
    let mut res = respond(StatusCode::CREATED, &headers, Body::empty());
    if !tags.is_empty() {
        for t in &pushed.tags {
            if let Ok(v) = t.parse() {
                res.headers_mut().append("oci-tag", v);
            }
        }
    }
    Ok(res)
}
