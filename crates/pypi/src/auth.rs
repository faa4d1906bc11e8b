//! Who is calling `/pypi`: HTTP Basic credentials as twine, uv and pip send them
//! (`__token__:<Trove API token>`, or a username with a password or an API token), a
//! `Bearer` API token, or nobody. Bad credentials are a 401 with a Basic challenge, never a
//! silent fallback to anonymous.

use crate::errors::PypiError;
use crate::PypiState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use base64::Engine as _;
use std::net::SocketAddr;
use trove_service::Ctx;

/// The caller of a `/pypi` request.
pub struct Caller(pub Ctx);

impl FromRequestParts<PypiState> for Caller {
    type Rejection = PypiError;

    async fn from_request_parts(parts: &mut Parts, state: &PypiState) -> Result<Self, Self::Rejection> {
        authenticate(state, &parts.headers, client_ip(parts)).await.map(Caller)
    }
}

/// The client's address, when the server recorded it.
pub fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

enum Credential {
    Basic(String, String),
    Bearer(String),
}

fn credential(headers: &HeaderMap) -> Result<Option<Credential>, PypiError> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let unsupported = || PypiError::unauthenticated("unsupported Authorization header: use Basic __token__:<token>");
    let v = v.to_str().map_err(|_| unsupported())?.trim();
    let (scheme, rest) = v.split_once(' ').ok_or_else(unsupported)?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Ok(Some(Credential::Bearer(rest.trim().to_string())));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(unsupported());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(unsupported)?;
    let (user, password) = decoded.split_once(':').ok_or_else(unsupported)?;
    Ok(Some(Credential::Basic(user.to_string(), password.to_string())))
}

/// Turns the request's credentials into a `Ctx`.
pub async fn authenticate(state: &PypiState, headers: &HeaderMap, ip: Option<String>) -> Result<Ctx, PypiError> {
    let svc = &state.services;
    let anonymous = Ctx { principal: None, ip };
    let principal = match credential(headers)? {
        None => return Ok(anonymous),
        // pip sends the empty credentials of `https://@host/` as they are.
        Some(Credential::Basic(user, password)) if user.is_empty() && password.is_empty() => return Ok(anonymous),
        Some(Credential::Basic(user, password)) => svc.pypi().login(&anonymous, &user, &password).await?,
        Some(Credential::Bearer(token)) => svc.accounts().authenticate_token(&token).await?,
    };
    Ok(Ctx {
        principal: Some(principal),
        ..anonymous
    })
}
