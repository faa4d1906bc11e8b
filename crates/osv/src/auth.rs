//! Who is calling: anonymous, or an API token as `Authorization: Bearer <token>` (private
//! packages' advisories are then served to those who may read the package).

use crate::errors::OsvError;
use crate::OsvState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use std::net::SocketAddr;
use trove_service::Ctx;

/// The request's caller context.
pub struct Caller(pub Ctx);

impl FromRequestParts<OsvState> for Caller {
    type Rejection = OsvError;

    async fn from_request_parts(parts: &mut Parts, state: &OsvState) -> Result<Self, OsvError> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let principal = match parts.headers.get(header::AUTHORIZATION) {
            Some(v) => {
                let v = v.to_str().unwrap_or_default().trim();
                let token = v
                    .strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
                    .unwrap_or(v)
                    .trim();
                Some(state.services.accounts().authenticate_token(token).await?)
            }
            None => None,
        };
        Ok(Caller(Ctx { principal, ip }))
    }
}
