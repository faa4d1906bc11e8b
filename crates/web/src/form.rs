//! Form bodies and their CSRF checks.
//!
//! Signed-in forms carry the session's CSRF token in `_csrf`. The login and registration
//! forms are posted before a session exists: they carry the value of the `trove_csrf`
//! cookie set when the form was shown (double submit), which another site can neither
//! read nor set. Both compare in constant time. A cross-site `Origin` is refused as well.

use crate::error::WebError;
use crate::session::Viewer;
use crate::WebState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use trove_service::Account;

/// An `application/x-www-form-urlencoded` body as name/value pairs (repeated names kept).
pub struct FormData {
    pairs: Vec<(String, String)>,
    /// Whether the request's `Origin` (when sent) is another site's.
    cross_origin: bool,
}

impl FormData {
    /// The first value of a field, trimmed ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// The raw first value of a field (passwords are not trimmed).
    pub fn raw(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of a repeated field (checkboxes).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Checks the session's CSRF token; returns the signed-in user. Refused (403) without a
    /// session, without the token, or with a wrong one.
    pub fn signed_in<'v>(&self, viewer: &'v Viewer) -> Result<&'v Account, WebError> {
        let expected = viewer.csrf().ok_or_else(|| WebError::csrf(viewer.chrome()))?;
        if self.cross_origin || !same(self.get("_csrf"), expected) {
            return Err(WebError::csrf(viewer.chrome()));
        }
        viewer.user().ok_or_else(|| WebError::csrf(viewer.chrome()))
    }

    /// Checks the pre-session (double-submit) CSRF token of the login and registration forms.
    pub fn pre_session(&self, viewer: &Viewer) -> Result<(), WebError> {
        let cookie = viewer.pre_session_csrf.as_deref().unwrap_or("");
        if self.cross_origin || cookie.len() < 16 || !same(self.get("_csrf"), cookie) {
            return Err(WebError::csrf(viewer.chrome()));
        }
        Ok(())
    }
}

/// Constant-time string equality.
fn same(a: &str, b: &str) -> bool {
    trove_service::auth::constant_time_eq(a.as_bytes(), b.as_bytes())
}

/// Whether an `Origin` header names a different site than the request's `Host` or the
/// configured base URL. Browsers send `Origin` on every cross-site POST.
fn cross_origin(req: &Request, base_url: &str) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origin == "null" {
        return false;
    }
    let origin_host = crate::fmt::host_of(origin);
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok());
    host != Some(origin_host) && crate::fmt::host_of(base_url) != origin_host
}

impl FromRequest<WebState> for FormData {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &WebState) -> Result<Self, WebError> {
        let cross_origin = cross_origin(&req, &state.services.config.base_url);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            WebError::page(
                e.status(),
                "Form not accepted",
                "The form could not be read (it may be too large).",
                Default::default(),
            )
        })?;
        let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes).map_err(|_| {
            WebError::page(
                StatusCode::BAD_REQUEST,
                "Form not accepted",
                "The form could not be read.",
                Default::default(),
            )
        })?;
        Ok(FormData { pairs, cross_origin })
    }
}
