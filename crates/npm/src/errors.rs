//! npm's error shape: `{"error": "<message>"}` (what npm, pnpm and yarn print after the
//! status), with Trove's machine-readable `code` beside it. Service errors map here once.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use trove_service::ServiceError;

#[derive(Debug)]
pub struct NpmError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

pub type NpmResult<T> = Result<T, NpmError>;

impl NpmError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        NpmError {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this method is not supported here",
        )
    }
}

/// The JSON body of an error.
pub fn body(code: &str, message: &str) -> Vec<u8> {
    serde_json::json!({ "error": message, "code": code })
        .to_string()
        .into_bytes()
}

impl From<ServiceError> for NpmError {
    fn from(e: ServiceError) -> Self {
        let status = StatusCode::from_u16(e.kind.http_status()).expect("valid status");
        NpmError::new(status, e.code, e.message)
    }
}

impl IntoResponse for NpmError {
    fn into_response(self) -> Response {
        let mut res = (self.status, body(self.code, &self.message)).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if self.status == StatusCode::UNAUTHORIZED {
            // npm asks for a one-time password when this names `otp`; this does not.
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"trove\""),
            );
        }
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body is not read, so the connection cannot carry another request.
            h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        res
    }
}
