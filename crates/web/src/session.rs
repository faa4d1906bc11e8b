//! Who is looking at a page: the browser session behind the `trove_session` cookie (the
//! same cookie the API reads), plus the cookies the forms use.

use crate::error::WebError;
use crate::layout::Chrome;
use crate::WebState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use std::net::SocketAddr;
use trove_service::Account;
use trove_service::{AuthVia, Ctx};

/// The session cookie, shared with the API (`trove_api::extract::SESSION_COOKIE`).
pub const SESSION_COOKIE: &str = "trove_session";
/// The double-submit CSRF cookie of the login and registration forms (no session yet).
pub const PRE_SESSION_COOKIE: &str = "trove_csrf";
/// How long a pre-session CSRF cookie lives, in seconds.
const PRE_SESSION_TTL_SECS: i64 = 2 * 3600;

/// Reads a cookie value from request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    trove_service::auth::cookie_value(
        headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()),
        name,
    )
}

/// The viewer of a page.
pub struct Viewer {
    pub ctx: Ctx,
    /// The session cookie's value when it names a live session.
    pub session_cookie: Option<String>,
    /// The pre-session CSRF cookie's value, if any.
    pub pre_session_csrf: Option<String>,
    /// The search box's value (kept across pages).
    pub query: String,
    /// The request path and query, for "log in and come back".
    pub path: String,
}

impl Viewer {
    pub fn user(&self) -> Option<&Account> {
        self.ctx.user()
    }

    /// The session's CSRF token (signed-in viewers only).
    pub fn csrf(&self) -> Option<&str> {
        match &self.ctx.principal.as_ref()?.via {
            AuthVia::Session { csrf_token } => Some(csrf_token),
            AuthVia::Token { .. } => None,
        }
    }

    /// What the page frame shows about the viewer.
    pub fn chrome(&self) -> Chrome {
        Chrome {
            user: self.user().map(|u| u.username.clone()),
            admin: self.user().is_some_and(|u| u.admin()),
            csrf: self.csrf().map(str::to_string),
            query: self.query.clone(),
        }
    }

    /// The signed-in user, or a redirect to the login page that comes back here.
    pub fn require_user(&self) -> Result<&Account, WebError> {
        self.user()
            .ok_or_else(|| WebError::Redirect(format!("/login?next={}", crate::fmt::encode(&self.path))))
    }
}

impl FromRequestParts<WebState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, WebError> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let query = if parts.uri.path() == "/search" {
            parts
                .uri
                .query()
                .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
                .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "q").map(|(_, v)| v))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let mut viewer = Viewer {
            ctx: Ctx { principal: None, ip },
            session_cookie: None,
            pre_session_csrf: cookie(&parts.headers, PRE_SESSION_COOKIE).map(str::to_string),
            query,
            path,
        };
        if let Some(c) = cookie(&parts.headers, SESSION_COOKIE) {
            let principal = state
                .services
                .accounts()
                .authenticate_session(c)
                .await
                .map_err(|e| WebError::from_service(e, Chrome::default()))?;
            if principal.is_some() {
                viewer.session_cookie = Some(c.to_string());
            }
            viewer.ctx.principal = principal;
        }
        Ok(viewer)
    }
}

fn secure(state: &WebState) -> &'static str {
    if state.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, Secure over https.
pub fn session_cookie(state: &WebState, value: &str) -> String {
    let max_age = state.services.config.session_ttl_ms / 1000;
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        secure(state)
    )
}

/// `Set-Cookie` that ends the session cookie.
pub fn clear_session_cookie(state: &WebState) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure(state)
    )
}

/// `Set-Cookie` for the pre-session CSRF token of the login and registration forms.
pub fn pre_session_cookie(state: &WebState, value: &str) -> String {
    format!(
        "{PRE_SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={PRE_SESSION_TTL_SECS}{}",
        secure(state)
    )
}

/// `Set-Cookie` that drops the pre-session CSRF cookie once a session exists.
pub fn clear_pre_session_cookie(state: &WebState) -> String {
    format!(
        "{PRE_SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure(state)
    )
}
