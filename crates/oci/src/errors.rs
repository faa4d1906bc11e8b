//! The distribution spec's error codes and body, `{"errors":[{"code","message","detail"}]}`,
//! and the mapping of service errors onto them. Every `/v2` error goes through here.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use trove_service::oci::codes as svc;
use trove_service::{ErrorKind, ServiceError};

/// The spec's error codes. `Unavailable` and `Unknown` are only used on 5xx responses,
/// which the spec leaves open (as the reference registry does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    TooManyRequests,
    Unavailable,
    Unknown,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BlobUnknown => "BLOB_UNKNOWN",
            Code::BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            Code::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            Code::DigestInvalid => "DIGEST_INVALID",
            Code::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            Code::ManifestInvalid => "MANIFEST_INVALID",
            Code::ManifestUnknown => "MANIFEST_UNKNOWN",
            Code::NameInvalid => "NAME_INVALID",
            Code::NameUnknown => "NAME_UNKNOWN",
            Code::SizeInvalid => "SIZE_INVALID",
            Code::Unauthorized => "UNAUTHORIZED",
            Code::Denied => "DENIED",
            Code::Unsupported => "UNSUPPORTED",
            Code::TooManyRequests => "TOOMANYREQUESTS",
            Code::Unavailable => "UNAVAILABLE",
            Code::Unknown => "UNKNOWN",
        }
    }

    /// The status a code is answered with unless the error says otherwise.
    pub fn status(self) -> StatusCode {
        match self {
            Code::BlobUnknown | Code::BlobUploadUnknown | Code::ManifestUnknown | Code::NameUnknown => {
                StatusCode::NOT_FOUND
            }
            Code::BlobUploadInvalid
            | Code::DigestInvalid
            | Code::ManifestBlobUnknown
            | Code::ManifestInvalid
            | Code::NameInvalid
            | Code::SizeInvalid => StatusCode::BAD_REQUEST,
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::Denied => StatusCode::FORBIDDEN,
            Code::Unsupported => StatusCode::METHOD_NOT_ALLOWED,
            Code::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error on the wire.
#[derive(Debug)]
pub struct OciError {
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
    pub detail: Option<serde_json::Value>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

pub type OciResult<T> = Result<T, OciError>;

impl OciError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        OciError {
            status: code.status(),
            code,
            message: message.into(),
            detail: None,
            headers: Vec::new(),
        }
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.retain(|(n, _)| *n != name);
            self.headers.push((name, v));
        }
        self
    }

    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }

    pub fn is_unauthorized(&self) -> bool {
        self.status == StatusCode::UNAUTHORIZED
    }

    pub fn has_header(&self, name: &HeaderName) -> bool {
        self.headers.iter().any(|(n, _)| n == name)
    }

    /// An endpoint that does not exist.
    pub fn no_route() -> Self {
        OciError::new(Code::Unsupported, "no such /v2 endpoint").with_status(StatusCode::NOT_FOUND)
    }
}

/// Maps a service error by its code, else by its kind.
impl From<ServiceError> for OciError {
    fn from(e: ServiceError) -> Self {
        let by_code = match e.code {
            svc::BLOB_UNKNOWN => Some(Code::BlobUnknown),
            svc::BLOB_UPLOAD_INVALID => Some(Code::BlobUploadInvalid),
            svc::BLOB_UPLOAD_UNKNOWN => Some(Code::BlobUploadUnknown),
            svc::DIGEST_INVALID => Some(Code::DigestInvalid),
            svc::MANIFEST_BLOB_UNKNOWN => Some(Code::ManifestBlobUnknown),
            svc::MANIFEST_INVALID | svc::TAG_INVALID => Some(Code::ManifestInvalid),
            svc::MANIFEST_UNKNOWN => Some(Code::ManifestUnknown),
            svc::NAME_INVALID => Some(Code::NameInvalid),
            svc::NAME_UNKNOWN => Some(Code::NameUnknown),
            svc::SIZE_INVALID => Some(Code::SizeInvalid),
            svc::UNSUPPORTED => Some(Code::Unsupported),
            svc::RANGE_INVALID => Some(Code::BlobUploadInvalid),
            _ => None,
        };
        let (code, status) = match (by_code, e.kind) {
            (_, ErrorKind::TooLarge) => (by_code.unwrap_or(Code::SizeInvalid), StatusCode::PAYLOAD_TOO_LARGE),
            (_, ErrorKind::RangeNotSatisfiable) => (Code::BlobUploadInvalid, StatusCode::RANGE_NOT_SATISFIABLE),
            (Some(c), _) => (c, c.status()),
            (None, ErrorKind::Unauthenticated) => (Code::Unauthorized, StatusCode::UNAUTHORIZED),
            (None, ErrorKind::Forbidden) => (Code::Denied, StatusCode::FORBIDDEN),
            (None, ErrorKind::NotFound) => (Code::NameUnknown, StatusCode::NOT_FOUND),
            (None, ErrorKind::RateLimited) => (Code::TooManyRequests, StatusCode::TOO_MANY_REQUESTS),
            (None, ErrorKind::BadRequest) => (Code::Unsupported, StatusCode::BAD_REQUEST),
            (None, ErrorKind::Unprocessable) => (Code::ManifestInvalid, StatusCode::BAD_REQUEST),
            (None, ErrorKind::Conflict) => (Code::Unsupported, StatusCode::CONFLICT),
            (None, ErrorKind::Unavailable) => (Code::Unavailable, StatusCode::SERVICE_UNAVAILABLE),
            (None, ErrorKind::Internal) => (Code::Unknown, StatusCode::INTERNAL_SERVER_ERROR),
        };
        let mut err = OciError::new(code, e.message).with_status(status);
        if !matches!(e.code, "not_found" | "forbidden" | "unauthenticated" | "internal") {
            err = err.with_detail(serde_json::json!({ "reason": e.code }));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            err = err.with_header(header::RETRY_AFTER, "1");
        }
        err
    }
}

impl IntoResponse for OciError {
    fn into_response(self) -> Response {
        let mut entry = serde_json::json!({ "code": self.code.as_str(), "message": self.message });
        if let Some(d) = self.detail {
            entry["detail"] = d;
        }
        let body = serde_json::json!({ "errors": [entry] });
        let mut res = (self.status, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            res.headers_mut().insert(name, value);
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_service_errors() {
        let e: OciError = ServiceError::new(ErrorKind::NotFound, svc::MANIFEST_UNKNOWN, "x").into();
        assert_eq!((e.code, e.status), (Code::ManifestUnknown, StatusCode::NOT_FOUND));
        let e: OciError = ServiceError::forbidden("no").into();
        assert_eq!((e.code, e.status), (Code::Denied, StatusCode::FORBIDDEN));
        let e: OciError = ServiceError::new(ErrorKind::RangeNotSatisfiable, svc::RANGE_INVALID, "x").into();
        assert_eq!(e.status, StatusCode::RANGE_NOT_SATISFIABLE);
        let e: OciError = ServiceError::new(ErrorKind::TooLarge, svc::SIZE_INVALID, "x").into();
        assert_eq!((e.code, e.status), (Code::SizeInvalid, StatusCode::PAYLOAD_TOO_LARGE));
        let e: OciError = ServiceError::not_found("package").into();
        assert_eq!(e.code, Code::NameUnknown);
    }
}
