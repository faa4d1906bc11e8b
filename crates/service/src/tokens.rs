//! API tokens: create (the secret is shown once), list, revoke.

use crate::auth::{new_token, sha256_hex};
use crate::{audit, Ctx, Result, ServiceError};
use trove_core::{now_ms, TokenScope};
use trove_wire::limits::{MAX_TOKEN_LIFETIME_S, TOKEN_NAME_MAX_LEN};

sub_service!(
    /// API tokens: create (the secret shown once), list, revoke.
    Tokens,
    tokens
);

pub use trove_wire::{NewToken as NewTokenRequest, Token as TokenView, TokenCreated as CreatedToken};

fn view(t: trove_db::tokens::Token) -> TokenView {
    use trove_core::time::rfc3339;
    TokenView {
        id: t.id,
        name: t.name,
        scopes: t.scopes.iter().map(|s| s.as_str().to_string()).collect(),
        packages: t.patterns,
        expires_at: t.expires_at.map(rfc3339),
        last_used_at: t.last_used_at.map(rfc3339),
        created_at: rfc3339(t.created_at),
    }
}

impl Tokens<'_> {
    /// Tokens are managed from a browser session or with a token holding the `admin` scope.
    pub async fn create_token(&self, ctx: &Ctx, req: NewTokenRequest) -> Result<CreatedToken> {
        let p = ctx.require_scope(TokenScope::Admin)?;
        self.issue(ctx, p, req).await
    }

    /// Creates a token for a caller who confirms their account's password (`npm token create`
    /// sends it with the request): the password is what a login would ask, so no `admin`
    /// scope is needed, and the new token cannot have it either. The caller's token limits
    /// (packages, expiry) bind the new one as in [`Self::create_token`]. A wrong password is
    /// audited and answers like a failed login.
    pub async fn create_token_with_password(
        &self,
        ctx: &Ctx,
        password: &str,
        req: NewTokenRequest,
    ) -> Result<CreatedToken> {
        let p = ctx
            .principal
            .as_ref()
            .ok_or_else(|| ServiceError::unauthenticated("log in first"))?;
        self.accounts()
            .check_password(ctx, &p.user.username, password, "token create")
            .await?;
        if req
            .scopes
            .iter()
            .any(|s| TokenScope::parse(s) == Some(TokenScope::Admin))
        {
            return Err(ServiceError::new(
                crate::ErrorKind::Forbidden,
                "forbidden",
                "a token created with a password cannot have the admin scope: create it on the dashboard",
            ));
        }
        self.issue(ctx, p, req).await
    }

    /// Creates a token for the user `username` on the operator's word (`trove admin
    /// create-token`: whoever may run admin commands on the database), any scopes included;
    /// the way to a first `admin`-scoped token without a browser. Audited as `token.create`
    /// by that user, without an address.
    pub async fn create_token_for(&self, username: &str, req: NewTokenRequest) -> Result<CreatedToken> {
        let user = {
            let mut conn = self.db.conn().await?;
            trove_db::users::find_by_username(&mut conn, username)
                .await?
                .ok_or_else(|| ServiceError::not_found(format!("user `{username}` not found")))?
        };
        if user.disabled {
            return Err(ServiceError::forbidden(format!("user `{username}` is disabled")));
        }
        let ctx = Ctx {
            principal: Some(crate::Principal {
                user: user.into(),
                via: crate::AuthVia::Session {
                    csrf_token: String::new(),
                },
            }),
            ip: None,
        };
        let p = ctx.require()?;
        self.issue(&ctx, p, req).await
    }

    async fn issue(&self, ctx: &Ctx, p: &crate::Principal, req: NewTokenRequest) -> Result<CreatedToken> {
        let name = req.name.trim();
        if name.is_empty() || name.len() > TOKEN_NAME_MAX_LEN {
            return Err(ServiceError::unprocessable(
                "invalid_token_name",
                format!("the token name must have 1 to {TOKEN_NAME_MAX_LEN} characters"),
            ));
        }
        if req.scopes.is_empty() {
            return Err(ServiceError::unprocessable(
                "invalid_scopes",
                "give at least one scope: read, publish, yank, owners, admin",
            ));
        }
        let mut scopes = Vec::new();
        for s in &req.scopes {
            let scope = TokenScope::parse(s).ok_or_else(|| {
                ServiceError::unprocessable(
                    "invalid_scopes",
                    format!("unknown scope `{s}`: use read, publish, yank, owners, admin"),
                )
            })?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        let patterns = match &req.packages {
            Some(list) if list.is_empty() => None,
            Some(list) => {
                trove_core::pattern::validate_all(list).map_err(|e| {
                    let code = match e {
                        trove_core::pattern::PatternError::TooMany(_) => "too_many_package_patterns",
                        _ => "invalid_package_pattern",
                    };
                    ServiceError::unprocessable(code, e.to_string())
                })?;
                Some(list.join(","))
            }
            None => None,
        };
        // A token limited to some packages may only create tokens limited to (some of) them.
        if let crate::AuthVia::Token {
            patterns: Some(mine), ..
        } = &p.via
        {
            let within = patterns.as_deref().is_some_and(|new| {
                new.split(',')
                    .all(|n| mine.iter().any(|m| trove_core::pattern::matches(m, n)))
            });
            if !within {
                return Err(ServiceError::new(
                    crate::ErrorKind::Forbidden,
                    "token_pattern_mismatch",
                    "this token is limited to some packages: a token it creates must be limited to them too",
                ));
            }
        }
        let now = now_ms();
        let expires_at = match req.expires_in {
            Some(s) if s <= 0 || s > MAX_TOKEN_LIFETIME_S => {
                return Err(ServiceError::unprocessable(
                    "invalid_expiry",
                    "expires_in must be between 1 second and 10 years",
                ))
            }
            Some(s) => Some(now + s * 1000),
            None => None,
        };
        // Nor may a token that expires create one that outlives it.
        if let crate::AuthVia::Token { id, .. } = &p.via {
            let mut conn = self.db.conn().await?;
            let mine = trove_db::oci_settings::find_token(&mut conn, *id).await?;
            if let Some(limit) = mine.and_then(|t| t.expires_at) {
                if expires_at.is_none_or(|e| e > limit) {
                    return Err(ServiceError::new(
                        crate::ErrorKind::Forbidden,
                        "token_expiry_exceeded",
                        "this token expires: a token it creates must expire no later than it does",
                    ));
                }
            }
        }
        let secret = new_token();
        let scope_text = scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
        let mut tx = self.db.write().await?;
        let id = trove_db::tokens::insert(
            &mut tx,
            trove_db::tokens::NewToken {
                user_id: p.user.id,
                name,
                token_hash: &sha256_hex(&secret),
                scopes: &scope_text,
                patterns: patterns.as_deref(),
                expires_at,
                now,
            },
        )
        .await?;
        audit::record(
            &mut tx,
            ctx,
            "token.create",
            &format!("token:{id}"),
            None,
            serde_json::json!({
                "name": name, "scopes": scope_text, "packages": patterns,
            }),
        )
        .await?;
        let tokens = trove_db::tokens::list_for_user(&mut tx, p.user.id).await?;
        tx.commit().await?;
        let info = tokens
            .into_iter()
            .find(|t| t.id == id)
            .map(view)
            .ok_or_else(|| ServiceError::internal("token vanished"))?;
        Ok(CreatedToken { info, token: secret })
    }

    pub async fn list_tokens(&self, ctx: &Ctx) -> Result<Vec<TokenView>> {
        let p = ctx.require_scope(TokenScope::Admin)?;
        let mut conn = self.db.conn().await?;
        Ok(trove_db::tokens::list_for_user(&mut conn, p.user.id)
            .await?
            .into_iter()
            .map(view)
            .collect())
    }

    pub async fn revoke_token(&self, ctx: &Ctx, id: i64) -> Result<()> {
        let p = ctx.require_scope(TokenScope::Admin)?;
        let mut tx = self.db.write().await?;
        if !trove_db::tokens::revoke(&mut tx, id, p.user.id, now_ms()).await? {
            return Err(ServiceError::not_found(format!("token {id} not found")));
        }
        audit::record(
            &mut tx,
            ctx,
            "token.revoke",
            &format!("token:{id}"),
            None,
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
/// Scopes of the token a client login hands out (device flow, npm login): what the clients'
/// commands need, not token or site administration.
pub const LOGIN_TOKEN_SCOPES: &[TokenScope] = &[
    TokenScope::Read,
    TokenScope::Publish,
    TokenScope::Yank,
    TokenScope::Owners,
];

/// Hands `user` a new token with [`LOGIN_TOKEN_SCOPES`] when they log in with a client
/// (device flow, npm login), in the caller's transaction with its `token.create` audit entry
/// by the user (`details` merged into the entry's). Returns the token's id and secret.
pub(crate) async fn issue_login_token(
    conn: &mut trove_db::Conn,
    ctx: &Ctx,
    user: &crate::Account,
    name: &str,
    details: serde_json::Value,
) -> Result<(i64, String)> {
    let secret = new_token();
    let scope_text = LOGIN_TOKEN_SCOPES
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let name: String = name.chars().take(100).collect();
    let id = trove_db::tokens::insert(
        conn,
        trove_db::tokens::NewToken {
            user_id: user.id,
            name: &name,
            token_hash: &sha256_hex(&secret),
            scopes: &scope_text,
            patterns: None,
            expires_at: None,
            now: now_ms(),
        },
    )
    .await?;
    let as_user = Ctx {
        principal: Some(crate::Principal {
            user: user.clone(),
            via: crate::AuthVia::Session {
                csrf_token: String::new(),
            },
        }),
        ip: ctx.ip.clone(),
    };
    let mut data = serde_json::json!({ "name": name, "scopes": scope_text });
    if let (Some(d), Some(extra)) = (data.as_object_mut(), details.as_object()) {
        d.extend(extra.clone());
    }
    audit::record(conn, &as_user, "token.create", &format!("token:{id}"), None, data).await?;
    Ok((id, secret))
}
