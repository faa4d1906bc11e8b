//! The docker-style token service behind `/v2/token`: a caller authenticated by password or
//! API token (or nobody) asks for scopes such as `repository:acme/app:pull,push` and gets a
//! short-lived token (a JWT signed with HMAC-SHA256) granting the part of them it may have.
//! The signing key is stored in the database, so every node issues and accepts the same tokens.

use super::{OciAction, RepoName};
use crate::{AuthVia, Ctx, ErrorKind, Principal, Result, ServiceError, Services};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use trove_core::{now_ms, TokenScope};

const ISSUER: &str = "trove";
const KEY_SETTING: &str = "registry_token_hmac_key";

/// One granted (or requested) access: `repository:<name>:<actions>` or `registry:catalog:*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

impl Access {
    /// Parses a `scope` parameter (`type:name:actions`; the name may contain `:` for a port).
    pub fn parse_scope(s: &str) -> Option<Access> {
        let (kind, rest) = s.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        if kind.is_empty() || name.is_empty() {
            return None;
        }
        Some(Access {
            kind: kind.to_string(),
            name: name.to_string(),
            actions: actions
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }

    /// Whether this grants `action` on the repository `name`.
    pub fn allows(&self, name: &str, action: OciAction) -> bool {
        self.kind == "repository" && self.name == name && self.actions.iter().any(|a| a == action.as_str())
    }
}

/// The claims of a registry token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegistryClaims {
    pub iss: String,
    /// The username, empty for anonymous tokens.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: String,
    pub access: Vec<Access>,
    /// The user's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<i64>,
    /// The API token the registry token was issued for (its scopes and patterns still apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<i64>,
}

/// A token as the token endpoint returns it.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_in_secs: i64,
    pub issued_at_ms: i64,
}

fn invalid_token() -> ServiceError {
    ServiceError::new(
        ErrorKind::Unauthenticated,
        "token_invalid",
        "the registry token is invalid or expired",
    )
}

fn sign(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("hmac takes any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

impl Services {
    /// The registry token signing key, created on first use and shared through the database.
    pub async fn oci_signing_key(&self) -> Result<Vec<u8>> {
        let candidate = crate::auth::random_secret(32);
        let mut tx = self.db.write().await?;
        let stored = trove_db::oci_settings::get_or_insert(&mut tx, KEY_SETTING, &candidate, now_ms()).await?;
        tx.commit().await?;
        B64.decode(stored.as_bytes())
            .map_err(|_| ServiceError::internal("the stored registry token key is corrupt"))
    }

    /// Logs in for the registry: a username with its password, or any username with a Trove
    /// API token (`trv_…`) as the password.
    pub async fn oci_login(&self, ctx: &Ctx, username: &str, password: &str) -> Result<Principal> {
        if password.starts_with(crate::auth::TOKEN_PREFIX) {
            return self.authenticate_token(password).await;
        }
        let user = self.check_password(ctx, username, password, "registry").await?;
        Ok(Principal {
            user,
            via: AuthVia::Session {
                csrf_token: String::new(),
            },
        })
    }

    /// The part of `requested` the caller may have. Unknown scope types and actions are
    /// dropped; `*` stands for every action the caller may do.
    pub async fn oci_grant(&self, ctx: &Ctx, requested: &[Access]) -> Result<Vec<Access>> {
        let mut out: Vec<Access> = Vec::new();
        for r in requested {
            let granted = match r.kind.as_str() {
                "registry" if r.name == "catalog" => r.actions.iter().filter(|a| *a == "*").cloned().collect(),
                "repository" => {
                    let Ok(repo) = RepoName::parse(&r.name) else {
                        continue;
                    };
                    let wanted: Vec<OciAction> = if r.actions.iter().any(|a| a == "*") {
                        vec![OciAction::Pull, OciAction::Push, OciAction::Delete]
                    } else {
                        r.actions.iter().filter_map(|a| OciAction::parse(a)).collect()
                    };
                    let mut granted = Vec::new();
                    for a in wanted {
                        if !granted.contains(&a.as_str().to_string()) && self.oci_allowed(ctx, &repo, a).await? {
                            granted.push(a.as_str().to_string());
                        }
                    }
                    granted
                }
                _ => continue,
            };
            match out.iter_mut().find(|a| a.kind == r.kind && a.name == r.name) {
                Some(existing) => {
                    for g in granted {
                        if !existing.actions.contains(&g) {
                            existing.actions.push(g);
                        }
                    }
                }
                None => out.push(Access {
                    kind: r.kind.clone(),
                    name: r.name.clone(),
                    actions: granted,
                }),
            }
        }
        Ok(out)
    }

    /// Signs a registry token for the caller with the granted access.
    pub fn oci_issue_token(&self, key: &[u8], ctx: &Ctx, access: Vec<Access>, ttl_ms: i64) -> IssuedToken {
        let now = now_ms();
        let (uid, tid, sub) = match &ctx.principal {
            Some(p) => (
                Some(p.user.id),
                match &p.via {
                    AuthVia::Token { id, .. } => Some(*id),
                    AuthVia::Session { .. } => None,
                },
                p.user.username.clone(),
            ),
            None => (None, None, String::new()),
        };
        let claims = RegistryClaims {
            iss: ISSUER.into(),
            sub,
            aud: ISSUER.into(),
            exp: (now + ttl_ms) / 1000,
            nbf: now / 1000 - 5,
            iat: now / 1000,
            jti: crate::auth::random_secret(12),
            access,
            uid,
            tid,
        };
        let header = B64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = B64.encode(serde_json::to_vec(&claims).expect("claims serialize"));
        let signing_input = format!("{header}.{body}");
        let sig = B64.encode(sign(key, &signing_input));
        IssuedToken {
            token: format!("{signing_input}.{sig}"),
            expires_in_secs: ttl_ms / 1000,
            issued_at_ms: now,
        }
    }

    /// Checks a registry token and rebuilds its caller: the user must still be active and the
    /// API token it was issued for still valid.
    pub async fn oci_verify_token(&self, key: &[u8], token: &str) -> Result<(Option<Principal>, RegistryClaims)> {
        let mut parts = token.splitn(3, '.');
        let (Some(h), Some(b), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid_token());
        };
        let sig = B64.decode(s).map_err(|_| invalid_token())?;
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("hmac takes any key length");
        mac.update(format!("{h}.{b}").as_bytes());
        mac.verify_slice(&sig).map_err(|_| invalid_token())?;
        let claims: RegistryClaims =
            serde_json::from_slice(&B64.decode(b).map_err(|_| invalid_token())?).map_err(|_| invalid_token())?;
        let now = now_ms() / 1000;
        if claims.iss != ISSUER || claims.exp < now || claims.nbf > now + 60 {
            return Err(invalid_token());
        }
        let Some(uid) = claims.uid else {
            return Ok((None, claims));
        };
        let mut conn = self.db.conn().await?;
        let user = trove_db::users::find_by_id(&mut conn, uid)
            .await?
            .filter(|u| u.disabled == 0)
            .ok_or_else(invalid_token)?;
        let via = match claims.tid {
            None => AuthVia::Session {
                csrf_token: String::new(),
            },
            Some(tid) => {
                let t = trove_db::oci_settings::find_token(&mut conn, tid)
                    .await?
                    .filter(|t| t.user_id == uid && t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now_ms()))
                    .ok_or_else(invalid_token)?;
                AuthVia::Token {
                    id: t.id,
                    scopes: t.scopes.split(',').filter_map(TokenScope::parse).collect(),
                    patterns: t.patterns.map(|p| p.split(',').map(str::to_string).collect()),
                }
            }
        };
        Ok((Some(Principal { user, via }), claims))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse() {
        let a = Access::parse_scope("repository:acme/app:pull,push").unwrap();
        assert_eq!(a.name, "acme/app");
        assert_eq!(a.actions, vec!["pull", "push"]);
        assert!(a.allows("acme/app", OciAction::Push));
        assert!(!a.allows("acme/app", OciAction::Delete));
        assert!(!a.allows("acme/other", OciAction::Pull));
        let c = Access::parse_scope("registry:catalog:*").unwrap();
        assert_eq!((c.kind.as_str(), c.name.as_str()), ("registry", "catalog"));
        assert!(Access::parse_scope("nonsense").is_none());
    }
}
