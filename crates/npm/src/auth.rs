//! Who is calling `/npm`: npm's `_authToken` (`Authorization: Bearer trv_…`, a Trove API
//! token whose scopes and package patterns apply), npm's legacy `_auth` (`Basic` username and
//! password, or any username and an API token), or nobody. Bad credentials are a 401, never
//! silently anonymous.

use crate::errors::{NpmError, NpmResult};
use crate::NpmState;
use axum::http::{header, HeaderMap, StatusCode};
use base64::Engine as _;
use trove_service::Ctx;

/// Authenticates a request.
pub async fn authenticate(state: &NpmState, headers: &HeaderMap, ip: Option<String>) -> NpmResult<Ctx> {
    let anonymous = Ctx { principal: None, ip };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(anonymous);
    };
    let value = value.to_str().unwrap_or_default().trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let accounts = state.services.accounts();
    let principal = if scheme.eq_ignore_ascii_case("bearer") {
        accounts.authenticate_token(rest.trim()).await?
    } else if scheme.eq_ignore_ascii_case("basic") {
        let (user, secret) = basic(rest.trim()).ok_or_else(|| {
            NpmError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "malformed Basic credentials",
            )
        })?;
        accounts.basic_login(&anonymous, &user, &secret, "npm").await?
    } else {
        return Err(NpmError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "unsupported Authorization header: use a token (`_authToken`, Bearer) or Basic credentials",
        ));
    };
    Ok(Ctx {
        principal: Some(principal),
        ..anonymous
    })
}

fn basic(encoded: &str) -> Option<(String, String)> {
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}
