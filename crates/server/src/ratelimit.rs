//! Rate limits per class and action, in front of every route but health and metrics.
//!
//! - Class: a request carrying credentials (an `Authorization` header or the session
//!   cookie) is *authenticated* and counted under a SHA-256 of that credential (checking it
//!   here would cost a second lookup per request; an unknown credential is refused by the
//!   handler anyway). Anything else is *anonymous*, counted by client IP: the peer address,
//!   or the nearest untrusted `X-Forwarded-For` hop when the peer is a trusted proxy.
//! - Action: `login` (the endpoints each front-end declares in its `FRONT_END`: today
//!   `POST /api/v1/session`, `POST /login`, `/v2/token` with Basic credentials or the
//!   OAuth2 password grant, and npm's `PUT /npm/-/user/org.couchdb.user:<name>`), counted
//!   per client IP + username whatever
//!   the class — unless the "password" is an API token (`trv_…`), which makes it an
//!   authenticated request counted under that token; else `read`
//!   (GET/HEAD) or `write`.
//!
//! Every answer carries `RateLimit-Limit/Remaining/Reset`; refusals are 429 with
//! `Retry-After`, the owning front-end's error body (OCI `TOOMANYREQUESTS` under `/v2`), and count in
//! `trove_rate_limited_total{class,action}`. When the backend fails, requests pass (fail
//! open), with a warning and `trove_rate_limit_backend_errors_total`.

use crate::config::RateLimitsConfig;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use trove_ratelimit::{Decision, Limiter, MemoryLimiter, RedisLimiter};

const WINDOW: Duration = Duration::from_secs(60);
/// Largest login body read to find the username.
const LOGIN_BODY_MAX: usize = 64 * 1024;

pub struct RateLimits {
    limiter: Box<dyn Limiter>,
    config: RateLimitsConfig,
    /// Client IPs that sent too many rejected credentials, until when (this node's view of
    /// the shared `badauth:` counter). Without it, made-up tokens would each get a fresh
    /// budget and bypass the anonymous limit.
    bad_credentials: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

impl RateLimits {
    /// `None` when disabled. A bad Redis URL is logged and falls back to memory.
    pub fn from_config(config: &RateLimitsConfig) -> Option<Arc<RateLimits>> {
        if !config.enabled {
            return None;
        }
        let limiter: Box<dyn Limiter> = if config.backend == "redis" {
            match RedisLimiter::new(&config.redis_url, &config.key_prefix) {
                Ok(l) => Box::new(l),
                Err(e) => {
                    tracing::error!(error = %e, "rate_limits.redis_url is invalid; counting in memory on this node");
                    Box::new(MemoryLimiter::new())
                }
            }
        } else {
            Box::new(MemoryLimiter::new())
        };
        Some(Arc::new(RateLimits {
            limiter,
            config: config.clone(),
            bad_credentials: Default::default(),
        }))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Anonymous,
    Authenticated,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Read,
    Write,
    Login,
}

pub async fn limit(State(rl): State<Arc<RateLimits>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/health/") || path == "/metrics" {
        return next.run(req).await;
    }
    let ip = client_ip(&req, &rl.config.trusted_proxies);
    let credential = credential(req.headers());
    let class = if credential.is_some() {
        Class::Authenticated
    } else {
        Class::Anonymous
    };
    if class == Class::Authenticated {
        if let Some(decision) = rl.blocked_for_bad_credentials(&ip) {
            metrics::counter!("trove_rate_limited_total", "class" => "authenticated", "action" => "login").increment(1);
            let mut res = refusal(path, &decision);
            add_headers(res.headers_mut(), &decision);
            return res;
        }
    }
    let method = req.method().clone();
    // Login endpoints are those the owning front-end declares.
    let endpoint = crate::edge::front_end(path).login(&method, path).copied();
    let (login, req) = match endpoint.and_then(|e| e.source.username_field()) {
        Some(field) => login_attempt(req, field).await,
        None if endpoint.is_some() => (basic_login(req.headers()), req),
        None => (None, req),
    };
    // An API token given where a password could go (Basic credentials, the OAuth2 password
    // grant) is no login attempt: it counts as an authenticated request under that token,
    // so CI jobs that `docker login` with a token for every pull are not throttled as logins.
    let (login, credential, class) = match login {
        Some(Login {
            api_token: Some(token), ..
        }) => (None, Some(token), Class::Authenticated),
        other => (other, credential, class),
    };
    // A login form is a login attempt whatever it carries; a token service only when it is
    // given a password (its refresh-token grant is an ordinary write).
    let always = endpoint.is_some_and(|e| e.always);
    let (action, key, limit, req) = if always || login.is_some() {
        let username = login.map(|l| l.username).unwrap_or_default();
        let key = format!("login:{}:{}", ip, hash(&username.to_lowercase()));
        (Action::Login, key, rl.config.login_attempts_per_minute, req)
    } else {
        let action = if method == Method::GET || method == Method::HEAD {
            Action::Read
        } else {
            Action::Write
        };
        let c = &rl.config;
        let (who, limit) = match (class, action) {
            (Class::Anonymous, Action::Read) => (format!("ip:{ip}"), c.anonymous_reads_per_minute),
            (Class::Anonymous, _) => (format!("ip:{ip}"), c.anonymous_writes_per_minute),
            (Class::Authenticated, Action::Read) => (
                format!("cred:{}", hash(credential.as_deref().unwrap_or(""))),
                c.authenticated_reads_per_minute,
            ),
            (Class::Authenticated, _) => (
                format!("cred:{}", hash(credential.as_deref().unwrap_or(""))),
                c.authenticated_writes_per_minute,
            ),
        };
        let key = format!("{}:{}", action_label(action), who);
        (action, key, limit, req)
    };

    let decision = match rl.limiter.hit(&key, limit, WINDOW).await {
        Ok(d) => d,
        Err(e) => {
            metrics::counter!("trove_rate_limit_backend_errors_total").increment(1);
            tracing::warn!(error = %e, "rate-limit backend failed; letting the request through");
            return next.run(req).await;
        }
    };
    if !decision.allowed {
        metrics::counter!(
            "trove_rate_limited_total",
            "class" => class_label(class),
            "action" => action_label(action)
        )
        .increment(1);
        let mut res = refusal(req.uri().path(), &decision);
        add_headers(res.headers_mut(), &decision);
        return res;
    }
    let mut res = next.run(req).await;
    add_headers(res.headers_mut(), &decision);
    if class == Class::Authenticated && res.status() == StatusCode::UNAUTHORIZED {
        rl.count_bad_credential(&ip).await;
    }
    res
}

impl RateLimits {
    /// Counts a rejected credential against the client IP (with the login budget); once
    /// over it, the IP's requests with credentials are refused until the window resets.
    async fn count_bad_credential(&self, ip: &str) {
        let key = format!("badauth:{ip}");
        match self
            .limiter
            .hit(&key, self.config.login_attempts_per_minute, WINDOW)
            .await
        {
            // The budget is spent with this rejection: refuse from the next request on.
            Ok(d) if d.remaining == 0 => {
                let until = std::time::Instant::now() + Duration::from_secs(d.reset_secs());
                self.bad_credentials
                    .lock()
                    .expect("bad credentials")
                    .insert(ip.to_string(), until);
            }
            Ok(_) => {}
            Err(e) => {
                metrics::counter!("trove_rate_limit_backend_errors_total").increment(1);
                tracing::warn!(error = %e, "rate-limit backend failed while counting a bad credential");
            }
        }
    }

    /// A refusal when this IP is blocked for sending too many rejected credentials.
    fn blocked_for_bad_credentials(&self, ip: &str) -> Option<Decision> {
        let mut map = self.bad_credentials.lock().expect("bad credentials");
        let now = std::time::Instant::now();
        map.retain(|_, until| *until > now);
        let until = map.get(ip)?;
        Some(Decision {
            allowed: false,
            limit: self.config.login_attempts_per_minute,
            remaining: 0,
            reset: until.saturating_duration_since(now),
        })
    }
}

fn class_label(c: Class) -> &'static str {
    match c {
        Class::Anonymous => "anonymous",
        Class::Authenticated => "authenticated",
    }
}

fn action_label(a: Action) -> &'static str {
    match a {
        Action::Read => "read",
        Action::Write => "write",
        Action::Login => "login",
    }
}

fn refusal(path: &str, d: &Decision) -> Response {
    let secs = d.reset_secs();
    let message = format!("too many requests; retry in {secs} s");
    let mut res = crate::edge::error_response(
        path,
        StatusCode::TOO_MANY_REQUESTS,
        trove_http::edge::ErrorCode::RateLimited,
        &message,
    );
    res.headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
    res
}

fn add_headers(h: &mut HeaderMap, d: &Decision) {
    h.insert(HeaderName::from_static("ratelimit-limit"), HeaderValue::from(d.limit));
    h.insert(
        HeaderName::from_static("ratelimit-remaining"),
        HeaderValue::from(d.remaining),
    );
    h.insert(
        HeaderName::from_static("ratelimit-reset"),
        HeaderValue::from(d.reset_secs()),
    );
}

fn hash(s: &str) -> String {
    hex::encode(&Sha256::digest(s.as_bytes())[..16])
}

/// The peer address; behind trusted proxies, the last `X-Forwarded-For` hop that is not one.
fn client_ip(req: &Request, trusted: &[IpAddr]) -> String {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let Some(peer) = peer else {
        return "unknown".into();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let hops: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
        .to_string()
}

/// The `Authorization` header or the session cookie, if any.
fn credential(h: &HeaderMap) -> Option<String> {
    if let Some(a) = h.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        if !a.trim().is_empty() {
            return Some(a.trim().to_string());
        }
    }
    let cookies = h.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok());
    trove_service::auth::cookie_value(cookies, "trove_session").map(|v| format!("session {v}"))
}

/// Who a login attempt names, and the API token it carries instead of a password, if any.
struct Login {
    username: String,
    api_token: Option<String>,
}

impl Login {
    fn new(username: &str, secret: Option<&str>) -> Login {
        Login {
            username: username.to_string(),
            api_token: secret
                .filter(|s| s.starts_with(trove_service::auth::TOKEN_PREFIX))
                .map(str::to_string),
        }
    }
}

fn basic_login(h: &HeaderMap) -> Option<Login> {
    use base64::Engine as _;
    let a = h.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = a.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    Some(match text.split_once(':') {
        Some((u, p)) => Login::new(u, Some(p)),
        None => Login::new(&text, None),
    })
}

/// The login a request attempts: Basic credentials, a JSON body or a form body (the username
/// in `username_field`, and `password`). The body is read (bounded) and put back.
async fn login_attempt(req: Request, username_field: &str) -> (Option<Login>, Request) {
    if let Some(l) = basic_login(req.headers()) {
        return (Some(l), req);
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, LOGIN_BODY_MAX).await {
        Ok(b) => b,
        // Too large or broken: the handler would refuse it; count it under no name.
        Err(_) => return (None, Request::from_parts(parts, Body::empty())),
    };
    // Parsed once, both ways: a JSON body, else a form.
    let json = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
    let form = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes).ok();
    let field = |name: &str| -> Option<String> {
        json.as_ref()
            .and_then(|v| v.get(name).and_then(|u| u.as_str()).map(str::to_string))
            .or_else(|| form.as_ref()?.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    };
    let login = field(username_field).map(|u| Login::new(&u, field("password").as_deref()));
    (login, Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let mk = |peer: &str, xff: &str| {
            let mut req = Request::builder().uri("/").body(Body::empty()).unwrap();
            req.headers_mut().insert("x-forwarded-for", xff.parse().unwrap());
            req.extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(format!("{peer}:1234").parse().unwrap()));
            req
        };
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(client_ip(&mk("10.0.0.2", "1.2.3.4"), &[proxy]), "10.0.0.2");
        assert_eq!(client_ip(&mk("10.0.0.1", "9.9.9.9, 1.2.3.4"), &[proxy]), "1.2.3.4");
        assert_eq!(client_ip(&mk("10.0.0.1", "1.2.3.4, 10.0.0.1"), &[proxy]), "1.2.3.4");
        assert_eq!(client_ip(&mk("10.0.0.1", "1.2.3.4"), &[]), "10.0.0.1");
    }

    #[test]
    fn credentials_are_found() {
        let mut h = HeaderMap::new();
        assert_eq!(credential(&h), None);
        h.insert("cookie", "a=b; trove_session=xyz".parse().unwrap());
        assert_eq!(credential(&h).as_deref(), Some("session xyz"));
        h.insert("authorization", "Basic YWxpY2U6cHc=".parse().unwrap());
        let login = basic_login(&h).unwrap();
        assert_eq!((login.username.as_str(), login.api_token), ("alice", None));
        h.insert("authorization", "Basic YWxpY2U6dHJ2X3NlY3JldA==".parse().unwrap()); // alice:trv_secret
        assert_eq!(basic_login(&h).unwrap().api_token.as_deref(), Some("trv_secret"));
        h.insert("authorization", "Basic YWxpY2U6cHc=".parse().unwrap());
        assert_eq!(credential(&h).as_deref(), Some("Basic YWxpY2U6cHc="));
    }
}
