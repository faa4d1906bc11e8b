//! Who is calling: an API token in `Authorization`, or a browser session cookie (whose
//! unsafe requests must echo the session's CSRF token in `X-CSRF-Token`).

use crate::error::ApiError;
use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Method};
use std::net::SocketAddr;
use trove_service::auth::{constant_time_eq, cookie_value};
use trove_service::{AuthVia, Ctx, ErrorKind, ServiceError};

pub const SESSION_COOKIE: &str = "trove_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The request's caller context.
pub struct Caller(pub Ctx);

/// Reads a cookie value from the request headers.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    cookie_in(&parts.headers, name)
}

/// Reads a cookie value from a header map.
pub fn cookie_in<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    cookie_value(
        headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()),
        name,
    )
}

/// The bearer credential in `Authorization` (`Bearer`, `Token`, or bare).
pub fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    Some(
        v.strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .or_else(|| v.strip_prefix("Token "))
            .unwrap_or(v)
            .trim(),
    )
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let svc = &state.services;
        if parts.headers.contains_key(header::AUTHORIZATION) {
            let token = bearer(parts).unwrap_or_default();
            let principal = svc.accounts().authenticate_token(token).await?;
            return Ok(Caller(Ctx {
                principal: Some(principal),
                ip,
            }));
        }
        if let Some(c) = cookie(parts, SESSION_COOKIE) {
            if let Some(principal) = svc.accounts().authenticate_session(c).await? {
                let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
                if let AuthVia::Session { csrf_token } = &principal.via {
                    let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                    if !safe && !sent.is_some_and(|s| constant_time_eq(s.as_bytes(), csrf_token.as_bytes())) {
                        return Err(ServiceError::new(
                            ErrorKind::Forbidden,
                            "csrf_failed",
                            "missing or wrong X-CSRF-Token header for a cookie-authenticated request",
                        )
                        .into());
                    }
                }
                return Ok(Caller(Ctx {
                    principal: Some(principal),
                    ip,
                }));
            }
        }
        Ok(Caller(Ctx { principal: None, ip }))
    }
}
