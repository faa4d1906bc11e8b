use super::{json, small_json};
use crate::errors::{NpmError, NpmResult};
use crate::names::NpmName;
use crate::route::Req;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use trove_service::tokens::{NewTokenRequest, TokenView};

/// `POST /npm/-/npm/v1/tokens` (`npm token create --password … [--name …] [--scopes @acme]
/// [--packages @acme/x] [--packages-and-scopes-permission read-only|read-write]
/// [--expires DAYS]`, or the legacy `{password, readonly, cidr_whitelist}`): a new Trove API
/// token for the caller, who confirms their password. Read-only tokens get the `read` scope,
/// the others `read, publish, yank`; `--scopes` and `--packages` become the token's package
/// patterns. IP allow lists and organization permissions are refused rather than ignored.
pub async fn create_token(req: Req, body: Body) -> NpmResult<Response> {
    let body = small_json(body, 64 * 1024).await?;
    let password = body
        .get("password")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| NpmError::bad_request("invalid_body", "creating a token needs your `password`"))?;
    if body
        .get("cidr_whitelist")
        .and_then(Value::as_array)
        .is_some_and(|c| !c.is_empty())
    {
        return Err(unsupported(
            "IP allow lists (--cidr) are not supported by this registry",
        ));
    }
    if body
        .get("orgs")
        .and_then(Value::as_array)
        .is_some_and(|o| !o.is_empty())
    {
        return Err(unsupported(
            "organization permissions (--orgs) are not supported: limit the token with --scopes @org",
        ));
    }
    let readonly = match body.get("packages_and_scopes_permission").and_then(Value::as_str) {
        None => body.get("readonly").and_then(Value::as_bool).unwrap_or(false),
        Some("read-only") => true,
        Some("read-write") => false,
        Some(other) => {
            return Err(unsupported(format!(
                "unknown permission `{other}`: use read-only or read-write"
            )))
        }
    };
    let scopes = if readonly {
        vec!["read"]
    } else {
        vec!["read", "publish", "yank"]
    };
    let unscoped = req.state.config.unscoped_namespace.as_deref();
    let list = |key: &str| -> Vec<String> {
        body.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default()
    };
    let mut patterns = Vec::new();
    for scope in list("scopes") {
        let scope = scope.trim_start_matches('@');
        if unscoped == Some(scope) {
            return Err(unsupported(format!(
                "`@{scope}` owns the unscoped names: name its packages with --packages"
            )));
        }
        patterns.push(format!("{scope}/*"));
    }
    for package in list("packages") {
        let n = NpmName::parse(&package, unscoped)?;
        patterns.push(format!("{}/{}", n.scope, n.name));
    }
    let all = body.get("packages_all").and_then(Value::as_bool).unwrap_or(false);
    let expires_in = match body.get("expires") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(days) if days > 0 => Some(days.saturating_mul(86_400)),
            _ => return Err(unsupported("`expires` is a number of days, at least 1")),
        },
    };
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or("npm token")
        .to_string();
    let new = NewTokenRequest {
        name,
        scopes: scopes.into_iter().map(String::from).collect(),
        packages: (!all && !patterns.is_empty()).then_some(patterns),
        expires_in,
    };
    let created = req
        .state
        .services
        .tokens()
        .create_token_with_password(&req.ctx, password, new)
        .await?;
    let t = &created.info;
    Ok(json(
        StatusCode::CREATED,
        serde_json::json!({
            "token": created.token,
            "key": key_of(t),
            "name": t.name,
            "readonly": readonly,
            "cidr_whitelist": null,
            "created": t.created_at,
            "updated": t.created_at,
            "expires": t.expires_at,
        }),
    ))
}

fn unsupported(message: impl Into<String>) -> NpmError {
    NpmError::new(StatusCode::UNPROCESSABLE_ENTITY, "unsupported_token_option", message)
}

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
