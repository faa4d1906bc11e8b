//! Service errors on the wire: `{"error": {"code": "...", "message": "..."}}` with the
//! matching HTTP status.

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, MissingJsonContentType, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use trove_service::{ErrorKind, ServiceError};

#[derive(Debug)]
pub struct ApiError(pub ServiceError);

pub type ApiResult<T> = Result<T, ApiError>;

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError(e)
    }
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    StatusCode::from_u16(kind.http_status()).expect("valid status")
}

/// The JSON error body every Trove endpoint uses.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = trove_wire::Error {
        error: trove_wire::ErrorDetail {
            code: code.to_string(),
            message: message.to_string(),
        },
    };
    let mut res = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"trove\""),
        );
    }
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        // The rest of the body is not read, so the connection cannot carry another request:
        // say so, or a client may reuse it and see it reset under its next request.
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(status_of(self.0.kind), self.0.code, &self.0.message)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError(ServiceError::new(
                ErrorKind::TooLarge,
                "body_too_large",
                "the request body is too large",
            ));
        }
        let code = match r {
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            JsonRejection::JsonDataError(_) => "invalid_body",
            _ => "invalid_json",
        };
        let kind = if code == "invalid_body" {
            ErrorKind::Unprocessable
        } else {
            ErrorKind::BadRequest
        };
        ApiError(ServiceError::new(kind, code, r.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError(ServiceError::bad_request("invalid_path", r.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError(ServiceError::bad_request("invalid_query", r.body_text()))
    }
}

/// A JSON body whose rejections use the error envelope. Besides what `axum::Json` checks
/// (content type, size, syntax, the target type), the body must be a JSON object (serde would
/// otherwise read a struct from an array such as `["alice", …]`) and its text must hold no NUL
/// character (PostgreSQL cannot store one; the request would fail deep inside).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !json_content_type(req.headers()) {
            return Err(JsonRejection::from(MissingJsonContentType::default()).into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError(ServiceError::new(
                    ErrorKind::TooLarge,
                    "body_too_large",
                    "the request body is too large",
                ))
            } else {
                ApiError(ServiceError::bad_request(
                    "body_read_failed",
                    format!("reading the request body failed: {}", r.body_text()),
                ))
            }
        })?;
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                return Err(ApiError(ServiceError::bad_request(
                    "invalid_json",
                    format!("Failed to parse the request body as JSON: {e}"),
                )));
            }
            return Err(ApiError(ServiceError::unprocessable(
                "invalid_body",
                "the request body must be a JSON object",
            )));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        // A NUL can only arrive escaped; look closer only then.
        if bytes.windows(6).any(|w| w == b"\\u0000") {
            if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                if let Some(at) = nul_in(&doc, "") {
                    return Err(ApiError(ServiceError::unprocessable(
                        "invalid_body",
                        format!("{at} must not contain a NUL (\\u0000) character"),
                    )));
                }
            }
        }
        Ok(Json(value))
    }
}

/// An optional JSON body (`Option<Json<T>>`): a request without a `Content-Type` and without
/// a body has none; anything else is read as [`Json`] is, with the same rejections.
impl<T, S> axum::extract::OptionalFromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, ApiError> {
        let no_body = !req.headers().contains_key(header::CONTENT_TYPE)
            && req
                .headers()
                .get(header::CONTENT_LENGTH)
                .is_none_or(|len| len.as_bytes() == b"0")
            && !req.headers().contains_key(header::TRANSFER_ENCODING);
        if no_body {
            return Ok(None);
        }
        <Json<T> as FromRequest<S>>::from_request(req, state).await.map(Some)
    }
}

/// `application/json` or `application/*+json`, as `axum::Json` accepts.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Where the first string or member name holding a NUL is: `` `name` ``, `` `packages[2]` ``,
/// or `the request body`.
fn nul_in(v: &serde_json::Value, path: &str) -> Option<String> {
    let here = || {
        if path.is_empty() {
            "the request body".to_string()
        } else {
            format!("`{path}`")
        }
    };
    match v {
        serde_json::Value::String(s) if s.contains('\0') => Some(here()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_in(item, &format!("{path}[{i}]"))),
        serde_json::Value::Object(members) => members.iter().find_map(|(k, item)| {
            if k.contains('\0') {
                return Some(format!("a member name in {}", here()));
            }
            let inner = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            nul_in(item, &inner)
        }),
        _ => None,
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Whether percent-encoded URL text decodes to a NUL. Every `%` of a well-formed URL starts an
/// escape, so `%00` cannot be the tail of another one (`%2500` is a literal `%00`).
fn has_encoded_nul(text: &str) -> bool {
    text.contains("%00")
}

/// A path extractor whose rejections use the error envelope. A segment holding a NUL (`%00`) is
/// refused: no name or version can contain one, and PostgreSQL cannot even compare with one.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if has_encoded_nul(parts.uri.path()) {
            return Err(ApiError(ServiceError::bad_request(
                "invalid_path",
                "the path must not contain a NUL (%00) character",
            )));
        }
        let axum::extract::Path(value) = axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(value))
    }
}

/// A query extractor whose rejections use the error envelope; a NUL (`%00`) is refused as in
/// [`Path`].
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if parts.uri.query().is_some_and(has_encoded_nul) {
            return Err(ApiError(ServiceError::bad_request(
                "invalid_query",
                "the query must not contain a NUL (%00) character",
            )));
        }
        let axum::extract::Query(value) = axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Query(value))
    }
}

/// Unmatched routes under /api/v1.
pub async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// A known path with another method (to hang on the router with `method_not_allowed_fallback`;
/// axum's own 405 has an empty body). The router still adds the `Allow` header.
pub async fn method_not_allowed() -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not support that method",
    )
}
