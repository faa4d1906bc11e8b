//! Answers the HTTP stack gives before a request reaches a front-end (rate limits, request
//! body timeouts), in the error envelope of the front-end the path belongs to: the OCI
//! distribution errors under `/v2`, Trove's JSON error everywhere else.

use axum::response::{IntoResponse, Response};
use http::StatusCode;

/// `status` with `{"error":{"code","message"}}`, or `{"errors":[{"code","message","detail"}]}`
/// with `oci_code` under `/v2`.
pub fn error_response(path: &str, status: StatusCode, code: &str, oci_code: &str, message: &str) -> Response {
    if path == "/v2" || path.starts_with("/v2/") {
        (
            status,
            axum::Json(serde_json::json!({
                "errors": [{ "code": oci_code, "message": message, "detail": {} }]
            })),
        )
            .into_response()
    } else {
        (
            status,
            axum::Json(serde_json::json!({ "error": { "code": code, "message": message } })),
        )
            .into_response()
    }
}
