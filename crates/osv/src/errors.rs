//! osv.dev's error shape, `{"code": <gRPC status code>, "message": "…"}`, and the mapping of
//! service errors onto it. Every `/osv` error goes through here.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use trove_service::{ErrorKind, ServiceError};

/// An error on the wire.
#[derive(Debug)]
pub struct OsvError {
    pub status: StatusCode,
    /// The gRPC status code osv.dev's gateway writes (3 invalid argument, 5 not found, …).
    pub code: u16,
    pub message: String,
}

pub type OsvResult<T> = Result<T, OsvError>;

impl OsvError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        OsvError {
            status: StatusCode::BAD_REQUEST,
            code: 3,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        OsvError {
            status: StatusCode::NOT_FOUND,
            code: 5,
            message: message.into(),
        }
    }
}

/// The status and gRPC code of a service error's kind.
fn status_of(kind: ErrorKind) -> (StatusCode, u16) {
    match kind {
        ErrorKind::BadRequest | ErrorKind::Unprocessable | ErrorKind::RangeNotSatisfiable => {
            (StatusCode::BAD_REQUEST, 3)
        }
        ErrorKind::Unauthenticated => (StatusCode::UNAUTHORIZED, 16),
        ErrorKind::Forbidden => (StatusCode::FORBIDDEN, 7),
        ErrorKind::NotFound => (StatusCode::NOT_FOUND, 5),
        ErrorKind::Conflict => (StatusCode::CONFLICT, 6),
        ErrorKind::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, 8),
        ErrorKind::RateLimited => (StatusCode::TOO_MANY_REQUESTS, 8),
        ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, 14),
        ErrorKind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, 13),
    }
}

impl From<ServiceError> for OsvError {
    fn from(e: ServiceError) -> Self {
        let (status, code) = status_of(e.kind);
        OsvError {
            status,
            code,
            message: e.message,
        }
    }
}

/// The body of an error, also used by the HTTP stack's own answers (429, 408).
pub fn error_body(code: u16, message: &str) -> serde_json::Value {
    serde_json::json!({ "code": code, "message": message })
}

impl IntoResponse for OsvError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(error_body(self.code, &self.message))).into_response()
    }
}
