//! One file per `/v2` action.

pub mod base;
pub mod cancel_upload;
pub mod catalog;
pub mod delete_blob;
pub mod delete_manifest;
pub mod finish_upload;
pub mod get_blob;
pub mod get_manifest;
pub mod get_upload;
pub mod list_referrers;
pub mod list_tags;
pub mod patch_upload;
pub mod put_manifest;
pub mod start_upload;
pub mod token;

use crate::errors::{Code, OciError, OciResult};
use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use trove_service::oci::{BlobInfo, RepoName, UploadState};

/// A response with headers and an optional body.
pub(crate) fn respond(status: StatusCode, headers: &[(&str, String)], body: Body) -> Response {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            res.headers_mut().insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).expect("valid header name"),
                v,
            );
        }
    }
    res
}

/// `Range: 0-<last byte>` of an upload (`0-0` while it is empty, as clients expect).
pub(crate) fn upload_range(size: u64) -> String {
    format!("0-{}", size.saturating_sub(1))
}

pub(crate) fn upload_location(repo: &RepoName, id: &str) -> String {
    format!("/v2/{repo}/blobs/uploads/{id}")
}

/// `202 Accepted` (or `204`) for an upload in progress.
pub(crate) fn upload_response(status: StatusCode, repo: &RepoName, st: &UploadState) -> Response {
    respond(
        status,
        &[
            ("location", upload_location(repo, &st.id)),
            ("range", upload_range(st.size)),
            ("docker-upload-uuid", st.id.clone()),
            ("content-length", "0".into()),
        ],
        Body::empty(),
    )
}

/// `201 Created` for a blob now in the repository.
pub(crate) fn blob_created(repo: &RepoName, info: &BlobInfo) -> Response {
    respond(
        StatusCode::CREATED,
        &[
            ("location", format!("/v2/{repo}/blobs/{}", info.digest)),
            ("docker-content-digest", info.digest.to_string()),
            ("content-length", "0".into()),
        ],
        Body::empty(),
    )
}

/// Refuses deletes when the configuration disables them.
pub(crate) fn deletes_enabled(state: &crate::OciState) -> OciResult<()> {
    if state.config.delete_enabled {
        Ok(())
    } else {
        Err(OciError::new(
            Code::Unsupported,
            "deletes are disabled on this registry (oci.delete_enabled)",
        )
        .with_header(header::ALLOW, "GET, HEAD, PUT"))
    }
}

/// The `n` of a paginated list: a non-negative integer, at most 10 000.
pub(crate) fn page_size(n: Option<&str>) -> OciResult<Option<usize>> {
    match n {
        None | Some("") => Ok(None),
        Some(s) => s.parse::<usize>().map(|n| Some(n.min(10_000))).map_err(|_| {
            OciError::new(
                Code::Unsupported,
                format!("`n` must be a non-negative integer, not `{s}`"),
            )
            .with_status(StatusCode::BAD_REQUEST)
        }),
    }
}

/// `Link: <path?n=…&last=…>; rel="next"`.
pub(crate) fn next_link(path: &str, n: Option<usize>, last: &str) -> String {
    let mut q = format!("last={}", trove_core::url::encode(last));
    if let Some(n) = n {
        q = format!("n={n}&{q}");
    }
    format!("<{path}?{q}>; rel=\"next\"")
}
