use super::respond;
use crate::errors::OciResult;
use crate::request::Req;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;

const INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// `GET /v2/<name>/referrers/<digest>?artifactType=`: an image index of the manifests whose
/// subject is the digest (empty when there are none, also for an unknown digest).
pub async fn list_referrers(req: Req, digest: String) -> OciResult<Response> {
    let filter = req.query("artifactType").filter(|t| !t.is_empty()).map(str::to_string);
    let manifests = req
        .state
        .services
        .oci()
        .referrers(&req.caller.ctx, &req.repo, &digest, filter.as_deref())
        .await?;
    let body = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": manifests,
    });
    let bytes = serde_json::to_vec(&body).expect("index serializes");
    let mut headers = vec![
        ("content-type", INDEX.to_string()),
        ("content-length", bytes.len().to_string()),
    ];
    if filter.is_some() {
        headers.push(("oci-filters-applied", "artifactType".to_string()));
    }
    Ok(respond(StatusCode::OK, &headers, Body::from(bytes)))
}
