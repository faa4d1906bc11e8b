//! Who is calling: cargo sends the registry token as the whole `Authorization` value (no
//! `Bearer`); `Bearer <token>` is accepted too. A registry that requires a token answers
//! anonymous reads 401 with `WWW-Authenticate: Cargo login_url="…"` so cargo retries with it.

use crate::errors::{CargoError, CargoResult};
use crate::CargoState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use std::net::SocketAddr;
use trove_service::cargo::RegistryView;
use trove_service::Ctx;

/// The request's caller context.
pub struct Caller(pub Ctx);

/// The token in `Authorization`, bare or after `Bearer`.
pub fn token(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    Some(
        v.strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .unwrap_or(v)
            .trim(),
    )
}

impl FromRequestParts<CargoState> for Caller {
    type Rejection = CargoError;

    async fn from_request_parts(parts: &mut Parts, state: &CargoState) -> Result<Self, CargoError> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let principal = match parts.headers.contains_key(header::AUTHORIZATION) {
            true => Some(
                state
                    .services
                    .accounts()
                    .authenticate_token(token(parts).unwrap_or_default())
                    .await?,
            ),
            false => None,
        };
        Ok(Caller(Ctx { principal, ip }))
    }
}

/// The registry of `scope`, refusing anonymous callers when it requires a token.
pub async fn open_registry(state: &CargoState, ctx: &Ctx, scope: &str, base: &str) -> CargoResult<RegistryView> {
    let registry = state.services.cargo().registry(scope).await?;
    if registry.auth_required && ctx.principal.is_none() {
        return Err(CargoError::token_required(format!("{base}/dashboard/tokens")));
    }
    Ok(registry)
}
