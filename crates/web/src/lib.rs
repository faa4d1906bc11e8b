//! Trove's web UI: server-rendered pages that work without JavaScript.
//!
//! - Pages are `maud` templates (checked at compile time, every splice HTML-escaped).
//! - One hand-written stylesheet, served under a content hash with a one-year cache.
//! - One small first-party script (copy buttons, instant version picker), served under a
//!   content hash; the Content-Security-Policy allows only scripts from the site itself (no
//!   inline script, no `unsafe-inline`), and every page works without it. READMEs are
//!   rendered from Markdown and sanitized by `ammonia` to a safe HTML subset ([`markdown`]).
//! - Browser sessions share the API's `trove_session` cookie. Every state-changing form
//!   carries a CSRF token: the session's own, or before login a double-submit cookie.
//! - Private packages the viewer may not read are a 404 page, as in the API.

pub mod chart;
mod error;
mod fmt;
mod form;
pub mod highlight;
mod layout;
pub mod markdown;
mod pages;
mod session;

pub use error::{WebError, WebResult};

use trove_http::edge::{json_error_body, FrontEnd, LoginEndpoint, LoginSource};

/// What the HTTP stack needs to know of the web UI: it owns every path the other front-ends
/// do not; its login form; errors of the stack as JSON (forms and scripts read them alike).
pub const FRONT_END: FrontEnd = FrontEnd {
    name: "web",
    prefix: "/",
    logins: &[LoginEndpoint {
        method: Some("POST"),
        path: "/login",
        source: LoginSource::BasicOrBody,
        always: true,
    }],
    error_body: json_error_body,
};

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::OnceLock;
use trove_service::Services;

/// Largest form body accepted.
const MAX_FORM_BYTES: usize = 64 * 1024;

const STYLE: &str = include_str!("../assets/style.css");
const SCRIPT: &str = include_str!("../assets/trove.js");
const FAVICON: &str = include_str!("../assets/favicon.svg");
const ROBOTS: &str = "User-agent: *\nDisallow: /dashboard\nDisallow: /admin\nDisallow: /device\nDisallow: /login\nDisallow: /register\nDisallow: /api/\n";

#[derive(Clone)]
pub struct WebState {
    pub services: Services,
    /// Cookies get `Secure` when the registry is served over https.
    pub secure_cookies: bool,
    /// Where clients reach the registry (`server.base_url`, else the request's host), for
    /// the URLs of install snippets: the same origin the protocol front-ends answer with.
    pub origin: trove_http::origin::Origin,
}

/// `/static/trove-{hash}.{ext}`: the content's hash in the name lets it be cached for a year.
fn hashed_url(content: &str, ext: &str) -> String {
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(content.as_bytes()));
    format!("/static/trove-{}.{ext}", &hash[..12])
}

/// The stylesheet's URL.
pub fn style_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| hashed_url(STYLE, "css"))
}

/// The page script's URL.
pub fn script_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| hashed_url(SCRIPT, "js"))
}

/// The web UI's routes (merge them at the root; the API stays under `/api/v1`).
pub fn router(services: Services, origin: trove_http::origin::Origin) -> Router {
    let secure_cookies = services.config.base_url.starts_with("https://");
    let state = WebState {
        services,
        secure_cookies,
        origin,
    };
    Router::new()
        .route("/", get(pages::home::home))
        .route("/search", get(pages::search::search))
        .route(
            "/packages/{scope}/{*name}",
            get(pages::package::package).post(pages::manage::action),
        )
        .route("/users/{name}", get(pages::profile::user))
        .route("/orgs/{name}", get(pages::profile::org))
        .route("/login", get(pages::auth::login_form).post(pages::auth::login))
        .route("/register", get(pages::auth::register_form).post(pages::auth::register))
        .route("/logout", post(pages::auth::logout))
        .route("/dashboard", get(pages::dashboard::overview))
        .route(
            "/dashboard/tokens",
            get(pages::tokens::list_tokens).post(pages::tokens::create_token),
        )
        .route("/dashboard/tokens/{id}/revoke", post(pages::tokens::revoke_token))
        .route(
            "/dashboard/orgs",
            get(pages::orgs::list_orgs).post(pages::orgs::create_org),
        )
        .route("/dashboard/orgs/{org}", get(pages::orgs::manage_org))
        .route("/dashboard/orgs/{org}/members", post(pages::orgs::set_member))
        .route(
            "/dashboard/orgs/{org}/members/{username}/remove",
            post(pages::orgs::remove_member),
        )
        .route(
            "/dashboard/webhooks",
            get(pages::webhooks::index).post(pages::webhooks::create),
        )
        .route("/dashboard/webhooks/{scope}", get(pages::webhooks::namespace))
        .route("/dashboard/webhooks/{scope}/{id}", get(pages::webhooks::deliveries))
        .route("/dashboard/webhooks/{scope}/{id}/test", post(pages::webhooks::test))
        .route("/dashboard/webhooks/{scope}/{id}/delete", post(pages::webhooks::delete))
        .route("/dashboard/settings", get(pages::settings::show))
        .route("/dashboard/settings/password", post(pages::settings::change_password))
        .route("/dashboard/settings/email", post(pages::settings::change_email))
        .route(
            "/dashboard/settings/sessions/{handle}/revoke",
            post(pages::settings::revoke_session),
        )
        .route(
            "/admin/users/{username}/{action}",
            post(pages::settings::admin_user_action),
        )
        .route("/device", get(pages::device::device_form).post(pages::device::decide))
        .route("/advisories", get(pages::advisories::list))
        .route(
            "/advisories/report",
            get(pages::advisories::report_form).post(pages::advisories::submit),
        )
        .route("/advisories/reviews", get(pages::advisories::reviews))
        .route("/advisories/{id}", get(pages::advisories::show))
        .route("/advisories/{id}/{action}", post(pages::advisories::act))
        .route("/admin", get(pages::admin::users))
        .route("/admin/audit", get(pages::admin::audit))
        .route("/static/{file}", get(static_file))
        .route("/favicon.svg", get(favicon))
        .route("/robots.txt", get(robots_txt))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// Headers every page carries: only the site's own script may run (never inline), no
/// framing, no sniffing. Pages may fetch from the site itself (`connect-src 'self'`: crawlers
/// and audits such as Lighthouse read `/robots.txt` from the page's context).
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // A stricter policy set by the handler (raw files: a sandbox) stays.
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data:; \
             connect-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    res
}

async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let path = format!("/static/{file}");
    let (content_type, body) = if path == style_url() {
        ("text/css; charset=utf-8", STYLE)
    } else if path == script_url() {
        ("text/javascript; charset=utf-8", SCRIPT)
    } else {
        return error::not_found_page();
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}

/// `/robots.txt`: crawl the packages, not the accounts' pages or the API.
async fn robots_txt() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        ROBOTS,
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
        .into_response()
}

/// Fallback for paths nothing else serves: an HTML 404 page for browsers, the API's JSON
/// error envelope for everything else.
pub async fn not_found(headers: http::HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html {
        let mut res = error::not_found_page();
        for (k, v) in [
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'",
            ),
        ] {
            res.headers_mut().insert(k, HeaderValue::from_static(v));
        }
        return res;
    }
    let body = serde_json::json!({ "error": { "code": "not_found", "message": "no such endpoint" } });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}
