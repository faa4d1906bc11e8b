//! Cargo's error shape, `{"errors":[{"detail":…}]}` (cargo prints each `detail`), and the
//! mapping of service errors onto it. Every `/cargo` error goes through here.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use trove_service::{ErrorKind, ServiceError};

/// An error on the wire.
#[derive(Debug)]
pub struct CargoError {
    pub status: StatusCode,
    pub detail: String,
    /// `WWW-Authenticate: Cargo login_url="…"` on 401s of registries that require a token.
    pub login_url: Option<String>,
}

pub type CargoResult<T> = Result<T, CargoError>;

impl CargoError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        CargoError {
            status,
            detail: detail.into(),
            login_url: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        CargoError::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        CargoError::new(StatusCode::NOT_FOUND, detail)
    }

    /// 401 that tells cargo where a token can be made.
    pub fn token_required(login_url: String) -> Self {
        CargoError {
            status: StatusCode::UNAUTHORIZED,
            detail: "this registry requires a token: run `cargo login --registry <name>` with a Trove API token".into(),
            login_url: Some(login_url),
        }
    }
}

/// The status of a service error's kind.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
        ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<ServiceError> for CargoError {
    fn from(e: ServiceError) -> Self {
        CargoError::new(status_of(e.kind), e.message)
    }
}

/// The body of an error, also used by the HTTP stack's own answers (429, 408).
pub fn error_body(detail: &str) -> serde_json::Value {
    serde_json::json!({ "errors": [{ "detail": detail }] })
}

impl IntoResponse for CargoError {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(error_body(&self.detail))).into_response();
        if let Some(url) = self.login_url {
            if let Ok(v) = HeaderValue::from_str(&format!("Cargo login_url=\"{url}\"")) {
                res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_kinds_to_statuses() {
        let e: CargoError = ServiceError::not_found("no such crate").into();
        assert_eq!((e.status, e.detail.as_str()), (StatusCode::NOT_FOUND, "no such crate"));
        let e: CargoError = ServiceError::conflict("version_exists", "taken").into();
        assert_eq!(e.status, StatusCode::CONFLICT);
        let res = CargoError::token_required("http://x/dashboard/tokens".into()).into_response();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            res.headers()[header::WWW_AUTHENTICATE],
            "Cargo login_url=\"http://x/dashboard/tokens\""
        );
    }
}
