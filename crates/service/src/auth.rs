//! Who is calling: API tokens, web sessions and passwords.

use crate::{Result, ServiceError};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use trove_core::{now_ms, TokenScope};
use trove_db::users::User;

/// A user account as use cases and front-ends see it (the database row stays in `trove-db`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub is_admin: bool,
    pub disabled: bool,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

impl Account {
    /// Whether the account is a site admin.
    pub fn admin(&self) -> bool {
        self.is_admin
    }
}

impl From<User> for Account {
    fn from(u: User) -> Account {
        Account {
            id: u.id,
            username: u.username,
            email: u.email,
            is_admin: u.is_admin,
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

pub const TOKEN_PREFIX: &str = "trv_";
/// `last_used_at` is written at most this often per token, so reads cost no write.
const TOUCH_EVERY_MS: i64 = 60_000;

#[derive(Debug, Clone)]
pub enum AuthVia {
    /// A browser session; unsafe requests must carry its CSRF token.
    Session { csrf_token: String },
    Token {
        id: i64,
        scopes: Vec<TokenScope>,
        patterns: Option<Vec<String>>,
    },
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub user: Account,
    pub via: AuthVia,
}

impl Principal {
    /// Whether the credential carries `scope` (sessions carry every scope).
    pub fn has_scope(&self, scope: TokenScope) -> bool {
        match &self.via {
            AuthVia::Session { .. } => true,
            AuthVia::Token { scopes, .. } => scopes.iter().any(|s| s.covers(scope)),
        }
    }

    /// Whether the credential may act on the package `scope/name` (token patterns).
    pub fn matches_package(&self, full_name: &str) -> bool {
        match &self.via {
            AuthVia::Token { patterns: Some(p), .. } => {
                p.iter().any(|pat| trove_core::pattern::matches(pat, full_name))
            }
            _ => true,
        }
    }
}

/// Who is calling and from where, for access checks and the audit log.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub principal: Option<Principal>,
    pub ip: Option<String>,
}

impl Ctx {
    pub fn anonymous() -> Self {
        Ctx::default()
    }
    pub fn user(&self) -> Option<&Account> {
        self.principal.as_ref().map(|p| &p.user)
    }
    /// The caller, or 401.
    pub fn require(&self) -> Result<&Principal> {
        self.principal
            .as_ref()
            .ok_or_else(|| ServiceError::unauthenticated("this action needs you to be logged in (send a token)"))
    }
    /// The caller holding `scope`, or 401/403.
    pub fn require_scope(&self, scope: TokenScope) -> Result<&Principal> {
        let p = self.require()?;
        if !p.has_scope(scope) {
            return Err(ServiceError::new(
                crate::ErrorKind::Forbidden,
                "insufficient_scope",
                format!("this token lacks the `{}` scope", scope.as_str()),
            ));
        }
        Ok(p)
    }
    pub fn is_site_admin(&self) -> bool {
        self.user().is_some_and(|u| u.admin())
    }
}

/// Compares secrets without an early exit that would leak how much of them matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of the first cookie called `name` in the given `Cookie` header values;
/// `None` when it is absent or empty.
pub fn cookie_value<'a>(cookie_headers: impl IntoIterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    cookie_headers
        .into_iter()
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A new API token: `trv_` and 256 random bits.
pub fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_secret(32))
}

#[derive(Default)]
pub(crate) struct TouchCache(Mutex<HashMap<i64, i64>>);

impl crate::accounts::Accounts<'_> {
    fn argon2(&self) -> Argon2<'static> {
        let params = Params::new(self.config.argon2_m_cost, 2, 1, None).expect("valid argon2 params");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    pub async fn hash_password(&self, password: &str) -> Result<String> {
        let argon = self.argon2();
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| ServiceError::internal(format!("hashing failed: {e}")))
        })
        .await
        .map_err(|e| ServiceError::internal(e.to_string()))?
    }

    pub async fn verify_password(&self, password: &str, hash: &str) -> bool {
        let argon = self.argon2();
        let (password, hash) = (password.to_string(), hash.to_string());
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|h| argon.verify_password(password.as_bytes(), &h).is_ok())
        })
        .await
        .unwrap_or(false)
    }

    /// Resolves an API token. Unknown, revoked and expired tokens are 401 with distinct codes.
    pub async fn authenticate_token(&self, token: &str) -> Result<Principal> {
        let invalid = || {
            ServiceError::new(
                crate::ErrorKind::Unauthenticated,
                "token_invalid",
                "the API token is not valid",
            )
        };
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
            return Err(invalid());
        }
        let mut conn = self.db.conn().await?;
        let t = trove_db::tokens::find_by_hash(&mut conn, &sha256_hex(token))
            .await?
            .ok_or_else(invalid)?;
        let now = now_ms();
        if t.revoked_at.is_some() {
            return Err(ServiceError::new(
                crate::ErrorKind::Unauthenticated,
                "token_revoked",
                "the API token has been revoked",
            ));
        }
        if t.expires_at.is_some_and(|e| e <= now) {
            return Err(ServiceError::new(
                crate::ErrorKind::Unauthenticated,
                "token_expired",
                "the API token has expired",
            ));
        }
        let user = trove_db::users::find_by_id(&mut conn, t.user_id)
            .await?
            .ok_or_else(invalid)?;
        if user.disabled {
            return Err(ServiceError::new(
                crate::ErrorKind::Unauthenticated,
                "account_disabled",
                "this account is disabled",
            ));
        }
        drop(conn);
        self.touch_token(t.id, now).await;
        let (scopes, patterns) = (t.scopes, t.patterns);
        Ok(Principal {
            user: user.into(),
            via: AuthVia::Token {
                id: t.id,
                scopes,
                patterns,
            },
        })
    }

    async fn touch_token(&self, id: i64, now: i64) {
        {
            let mut map = self.token_touches.0.lock().expect("touch cache");
            if map.get(&id).is_some_and(|&last| now - last < TOUCH_EVERY_MS) {
                return;
            }
            map.insert(id, now);
        }
        let res = async {
            let mut tx = self.db.write().await?;
            trove_db::tokens::touch(&mut tx, id, now).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = res {
            tracing::warn!(error = %e, "could not record token use");
        }
    }

    /// Resolves a session cookie value.
    pub async fn authenticate_session(&self, cookie: &str) -> Result<Option<Principal>> {
        let mut conn = self.db.conn().await?;
        let Some(s) = trove_db::sessions::find(&mut conn, &sha256_hex(cookie)).await? else {
            return Ok(None);
        };
        if s.expires_at <= now_ms() {
            return Ok(None);
        }
        let Some(user) = trove_db::users::find_by_id(&mut conn, s.user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        Ok(Some(Principal {
            user: user.into(),
            via: AuthVia::Session {
                csrf_token: s.csrf_token,
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_secrets() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn reads_cookies() {
        let headers = ["a=1; trove_session=xyz", "b=2"];
        assert_eq!(cookie_value(headers, "trove_session"), Some("xyz"));
        assert_eq!(cookie_value(headers, "b"), Some("2"));
        assert_eq!(cookie_value(["trove_session=; x=1"], "trove_session"), None);
        assert_eq!(cookie_value(["trove_session_old=1"], "trove_session"), None);
    }

    #[test]
    fn tokens_look_right() {
        let t = new_token();
        assert!(t.starts_with("trv_"));
        assert_eq!(t.len(), 4 + 43);
        assert_ne!(new_token(), t);
    }
}
