//! Answers the HTTP stack gives before a request reaches a front-end (rate limits, request
//! body timeouts), in the error envelope of the front-end the path belongs to. The stack
//! knows front-ends only by what they declare (`trove_http::edge::FrontEnd`).

use axum::response::Response;
use http::{header, HeaderValue, StatusCode};
use trove_http::edge::{front_end_for, ErrorCode, FrontEnd};

/// Every front-end this server mounts.
pub const FRONT_ENDS: &[FrontEnd] = &[
    trove_api::FRONT_END,
    trove_oci::FRONT_END,
    trove_npm::FRONT_END,
    trove_pypi::FRONT_END,
    trove_cargo::FRONT_END,
    trove_osv::FRONT_END,
    trove_web::FRONT_END,
];

/// The front-end owning `path`.
pub fn front_end(path: &str) -> &'static FrontEnd {
    front_end_for(FRONT_ENDS, path).unwrap_or(&trove_web::FRONT_END)
}

/// `status` with the error body of the front-end owning `path`.
pub fn error_response(path: &str, status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let (content_type, body) = (front_end(path).error_body)(&code, message);
    let mut res = Response::new(axum::body::Body::from(body));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}
