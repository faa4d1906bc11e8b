//! PyPI's error shape, as twine and uv read it: the status code, the message as the HTTP
//! reason phrase (what `twine upload` prints: `400 Client Error: <message> for url: …`) and
//! as a plain-text body (what `uv publish` and `twine --verbose` print). Every `/pypi` error
//! goes through here; a service error is mapped once, by its kind.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use trove_service::{ErrorKind, ServiceError};

#[derive(Debug)]
pub struct PypiError {
    pub status: StatusCode,
    pub message: String,
}

pub type PypiResult<T> = Result<T, PypiError>;

impl PypiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        PypiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        PypiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// What a missing project (or one the caller may not see) answers, everywhere.
    pub fn not_found() -> Self {
        PypiError::new(StatusCode::NOT_FOUND, "Not Found")
    }

    /// 401 with a Basic challenge.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        PypiError::new(StatusCode::UNAUTHORIZED, message)
    }
}

/// Maps a service error by its kind. Every 404 has the same body, so a private project
/// and a missing one cannot be told apart by the message either.
impl From<ServiceError> for PypiError {
    fn from(e: ServiceError) -> Self {
        let status = match e.kind {
            ErrorKind::NotFound => return PypiError::not_found(),
            ErrorKind::BadRequest | ErrorKind::Unprocessable => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(code = e.code, message = %e.message, "pypi request failed");
        }
        PypiError::new(status, e.message)
    }
}

/// The message as a reason phrase: one line of visible ASCII, bounded.
fn reason_phrase(message: &str) -> Option<hyper::ext::ReasonPhrase> {
    let line: String = message
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { ' ' })
        .take(300)
        .collect();
    hyper::ext::ReasonPhrase::try_from(line.trim().as_bytes().to_vec()).ok()
}

impl IntoResponse for PypiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, format!("{}\n", self.message)).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"trove\""),
            );
        }
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Some(reason) = reason_phrase(&self.message) {
            res.extensions_mut().insert(reason);
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_service_errors() {
        let e: PypiError = ServiceError::not_found("package `a/secret` not found").into();
        assert_eq!((e.status, e.message.as_str()), (StatusCode::NOT_FOUND, "Not Found"));
        let e: PypiError = ServiceError::conflict("file_exists", "File already exists").into();
        assert_eq!(e.status, StatusCode::CONFLICT);
        let res = PypiError::unauthenticated("send credentials").into_response();
        assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Basic realm=\"trove\"");
        assert!(res.extensions().get::<hyper::ext::ReasonPhrase>().is_some());
        assert!(reason_phrase("a\r\nb é").is_some_and(|r| r.as_bytes() == b"a  b"));
    }
}
