//! Who is calling `/v2`: a registry token from `/v2/token` (`Bearer <jwt>`), a Trove API
//! token (`Bearer trv_…`), `Basic` credentials (username + password or API token), or nobody.
//! 401 answers carry a `WWW-Authenticate: Bearer realm=…,service=…,scope=…` challenge.

use crate::errors::{Code, OciError};
use crate::OciState;
use axum::http::{header, HeaderMap};
use base64::Engine as _;
use trove_service::oci::{Access, OciAction};
use trove_service::Ctx;

/// The service name in challenges and tokens.
pub const SERVICE: &str = "trove";

/// The caller of a `/v2` request.
pub struct Caller {
    pub ctx: Ctx,
    /// The access a registry token grants; `None` for other credentials (whose own rights
    /// apply in full) and for anonymous callers.
    pub grants: Option<Vec<Access>>,
}

impl Caller {
    /// Whether the credential covers `action` on the repository (roles are checked later).
    pub fn covers(&self, repo: &str, action: OciAction) -> bool {
        match &self.grants {
            None => true,
            Some(g) => g.iter().any(|a| a.allows(repo, action)),
        }
    }
}

/// `user:password` from a `Basic` header.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
    let s = String::from_utf8(decoded).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// Authenticates a request; bad credentials are a 401 (never silently anonymous).
pub async fn authenticate(state: &OciState, headers: &HeaderMap, ip: Option<String>) -> Result<Caller, OciError> {
    let svc = &state.services;
    let anonymous = Ctx { principal: None, ip };
    if !headers.contains_key(header::AUTHORIZATION) {
        return Ok(Caller {
            ctx: anonymous,
            grants: None,
        });
    }
    let challenge = |e: trove_service::ServiceError| {
        let err: OciError = e.into();
        let realm = realm(state, headers);
        err.with_header(
            header::WWW_AUTHENTICATE,
            &format!("Bearer realm=\"{realm}\",service=\"{SERVICE}\",error=\"invalid_token\""),
        )
    };
    if let Some(token) = bearer(headers) {
        if token.starts_with(trove_service::auth::TOKEN_PREFIX) {
            let principal = svc.accounts().authenticate_token(token).await.map_err(challenge)?;
            return Ok(Caller {
                ctx: Ctx {
                    principal: Some(principal),
                    ..anonymous
                },
                grants: None,
            });
        }
        let key = state.signing_key().await?;
        let (principal, claims) = svc.oci().verify_token(key, token).await.map_err(challenge)?;
        return Ok(Caller {
            ctx: Ctx { principal, ..anonymous },
            grants: Some(claims.access),
        });
    }
    if let Some((user, password)) = basic_credentials(headers) {
        let principal = svc.oci().login(&anonymous, &user, &password).await.map_err(challenge)?;
        return Ok(Caller {
            ctx: Ctx {
                principal: Some(principal),
                ..anonymous
            },
            grants: None,
        });
    }
    Err(OciError::new(
        Code::Unauthorized,
        "unsupported Authorization header: use Bearer or Basic",
    )
    .with_header(header::WWW_AUTHENTICATE, &challenge_value(state, headers, None, None)))
}

/// The token service URL for challenges.
pub fn realm(state: &OciState, headers: &HeaderMap) -> String {
    if let Some(r) = &state.config.token_realm {
        return r.clone();
    }
    format!("{}/v2/token", state.origin.of(headers))
}

/// `Bearer realm="…",service="trove"[,scope="…"][,error="…"]`.
pub fn challenge_value(state: &OciState, headers: &HeaderMap, scope: Option<&str>, error: Option<&str>) -> String {
    let mut v = format!("Bearer realm=\"{}\",service=\"{SERVICE}\"", realm(state, headers));
    if let Some(s) = scope {
        v.push_str(&format!(",scope=\"{s}\""));
    }
    if let Some(e) = error {
        v.push_str(&format!(",error=\"{e}\""));
    }
    v
}

/// The scope a client needs for `action` on `repo`, as challenges name it.
pub fn scope_for(repo: &str, action: OciAction) -> String {
    match action {
        OciAction::Pull => format!("repository:{repo}:pull"),
        OciAction::Push => format!("repository:{repo}:pull,push"),
        OciAction::Delete => format!("repository:{repo}:delete"),
    }
}

/// Adds the challenge to a 401 (and turns a 401 into one that says what scope is needed).
pub fn add_challenge(err: OciError, state: &OciState, headers: &HeaderMap, scope: Option<&str>) -> OciError {
    if !err.is_unauthorized() || err.has_header(&header::WWW_AUTHENTICATE) {
        return err;
    }
    let value = challenge_value(state, headers, scope, None);
    err.with_header(header::WWW_AUTHENTICATE, &value)
}

/// The client's address, when the server recorded it.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}
