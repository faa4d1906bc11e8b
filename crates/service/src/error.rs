//! The service layer's one error type. Each protocol front-end maps `ErrorKind` to its own
//! wire format and status; `code` is the machine-readable reason.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400: the request is malformed.
    BadRequest,
    /// 401: no or bad credentials.
    Unauthenticated,
    /// 403: authenticated but not allowed.
    Forbidden,
    /// 404: missing, or private and not visible to the caller.
    NotFound,
    /// 409: conflicts with existing state.
    Conflict,
    /// 413: body too large.
    TooLarge,
    /// 416: range not satisfiable.
    RangeNotSatisfiable,
    /// 422: well-formed but semantically invalid (e.g. a bad manifest).
    Unprocessable,
    /// 429
    RateLimited,
    /// 503: a dependency (database, storage) is down.
    Unavailable,
    /// 500
    Internal,
}

impl ErrorKind {
    /// The HTTP status a front-end answers with when its protocol has no other rule.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthenticated => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::TooLarge => 413,
            ErrorKind::RangeNotSatisfiable => 416,
            ErrorKind::Unprocessable => 422,
            ErrorKind::RateLimited => 429,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServiceError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub message: String,
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

impl ServiceError {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        ServiceError {
            kind,
            code,
            message: message.into(),
        }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, code, message)
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthenticated, "unauthenticated", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, "forbidden", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, "not_found", message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unprocessable, code, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, "internal", message)
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ServiceError {}

impl From<trove_db::DbError> for ServiceError {
    fn from(e: trove_db::DbError) -> Self {
        match &e {
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unavailable");
                ServiceError::new(
                    ErrorKind::Unavailable,
                    "database_unavailable",
                    "the database is not reachable",
                )
            }
            e if e.is_full() => {
                tracing::error!(error = %e, "database out of space");
                ServiceError::new(
                    ErrorKind::Unavailable,
                    "database_full",
                    "the database has no space left; nothing was changed, try again later",
                )
            }
            e if e.is_invalid_data() => {
                tracing::warn!(error = %e, "database refused a value");
                ServiceError::unprocessable(
                    "invalid_value",
                    "a value in the request cannot be stored (for example text with a NUL character)",
                )
            }
            _ => {
                tracing::error!(error = %e, "database error");
                ServiceError::internal("internal database error")
            }
        }
    }
}

impl From<trove_storage::StorageError> for ServiceError {
    fn from(e: trove_storage::StorageError) -> Self {
        use trove_storage::StorageError as S;
        match e {
            S::NotFound(d) => ServiceError::not_found(format!("blob {d} is missing from storage")),
            S::RangeNotSatisfiable => ServiceError::new(
                ErrorKind::RangeNotSatisfiable,
                "range_not_satisfiable",
                "the requested range is not satisfiable",
            ),
            S::Io(e) if e.kind() == std::io::ErrorKind::StorageFull => {
                tracing::error!(error = %e, "storage out of space");
                ServiceError::new(
                    ErrorKind::Unavailable,
                    "storage_full",
                    "blob storage has no space left; nothing was stored, try again later",
                )
            }
            other => {
                tracing::error!(error = %other, "storage error");
                ServiceError::new(ErrorKind::Unavailable, "storage_unavailable", "blob storage failed")
            }
        }
    }
}

impl From<trove_storage::StagingError> for ServiceError {
    fn from(e: trove_storage::StagingError) -> Self {
        match e {
            trove_storage::StagingError::TooLarge { limit } => ServiceError::new(
                ErrorKind::TooLarge,
                "too_large",
                format!("the upload is larger than the limit of {limit} bytes"),
            ),
            trove_storage::StagingError::Io(e) => trove_storage::StorageError::Io(e).into(),
            trove_storage::StagingError::Body(e) => {
                ServiceError::bad_request("bad_request", format!("reading the request body failed: {e}"))
            }
        }
    }
}
