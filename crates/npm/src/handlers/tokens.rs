use super::json;
use crate::errors::{NpmError, NpmResult};
use crate::route::Req;
use axum::http::StatusCode;
use axum::response::Response;
use sha2::{Digest as _, Sha256};
use trove_service::tokens::TokenView;

/// `GET /npm/-/npm/v1/tokens` (`npm token list`): the caller's Trove API tokens (a token with
/// the `admin` scope, as for token management anywhere). Secrets are never shown: `token` is
/// the prefix every Trove token has.
pub async fn list_tokens(req: Req) -> NpmResult<Response> {
    let tokens = req.state.services.tokens().list_tokens(&req.ctx).await?;
    let objects: Vec<serde_json::Value> = tokens
        .iter()
        .map(|t| {
            let readonly = t.scopes.iter().all(|s| s == "read");
            serde_json::json!({
                "key": key_of(t),
                "token": trove_service::auth::TOKEN_PREFIX,
                "name": t.name,
                "readonly": readonly,
                "automation": false,
                "cidr_whitelist": null,
                "created": t.created_at,
                "updated": t.last_used_at.clone().unwrap_or_else(|| t.created_at.clone()),
            })
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        serde_json::json!({ "objects": objects, "total": tokens.len(), "urls": {} }),
    ))
}

/// `DELETE /npm/-/npm/v1/tokens/token/<key>` (`npm token revoke`): revokes the caller's token
/// with that key.
pub async fn revoke_token(req: Req, key: &str) -> NpmResult<Response> {
    let tokens = req.state.services.tokens();
    let id = tokens
        .list_tokens(&req.ctx)
        .await?
        .iter()
        .find(|t| key_of(t) == key)
        .map(|t| t.id)
        .ok_or_else(|| NpmError::not_found(format!("no token with key `{key}`")))?;
    tokens.revoke_token(&req.ctx, id).await?;
    Ok(json(StatusCode::OK, serde_json::json!({ "ok": true })))
}

/// A token's key in npm's listing: stable, unique, and without prefixes shared by many
/// tokens (npm matches what a user types against the start of keys).
fn key_of(t: &TokenView) -> String {
    hex::encode(&Sha256::digest(format!("trove-token:{}", t.id))[..16])
}
