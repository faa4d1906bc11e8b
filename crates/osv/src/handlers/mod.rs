//! One file per endpoint.

pub mod export_vulns;
pub mod get_vuln;
pub mod query_vulns;
pub mod query_vulns_batch;

use crate::errors::{OsvError, OsvResult};
use axum::body::Body;
use serde::de::DeserializeOwned;

/// Largest request body (a batch of 1,000 queries is far smaller).
const MAX_BODY: usize = 8 << 20;

/// Reads a JSON request body.
pub(crate) async fn json_body<T: DeserializeOwned>(body: Body) -> OsvResult<T> {
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| OsvError {
        status: axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        code: 8,
        message: format!("the request body is larger than {MAX_BODY} bytes"),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| OsvError::bad_request(format!("Invalid JSON request: {e}")))
}

/// Any other path below `/osv`.
pub async fn no_route() -> OsvError {
    OsvError::not_found("Not Found")
}
