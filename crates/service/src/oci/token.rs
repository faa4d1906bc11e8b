//! The docker-style token service behind `/v2/token`: a caller authenticated by password or
//! API token (or nobody) asks for scopes such as `repository:acme/app:pull,push` and gets a
//! short-lived token (a JWT signed with HMAC-SHA256) granting the part of them it may have.
//! The signing key is stored in the database, so every node issues and accepts the same tokens.

use super::{OciAction, RepoName};
use crate::{AuthVia, Ctx, ErrorKind, Principal, Result, ServiceError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use trove_core::now_ms;

const ISSUER: &str = "trove";
const KEY_SETTING: &str = "registry_token_hmac_key";
/// How far a node's clock may lag the issuing node's: a token is accepted up to this long
/// before its `nbf`. Expiry has no leeway.
const NBF_LEEWAY_SECS: u64 = 60;

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

/// What a registry token must satisfy: HS256 only (`none`, `RS256` and every other `alg` are
/// refused), issuer and audience `trove`, not expired, and not before its `nbf` (less the leeway).
fn validation() -> Validation {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[ISSUER]);
    v.set_required_spec_claims(&["exp", "nbf", "iss", "aud"]);
    v.validate_exp = true;
    v.validate_nbf = true;
    v.leeway = NBF_LEEWAY_SECS;
    // `leeway` widens both `nbf` and `exp`; this takes it back from `exp`, so a token is refused
    // once `exp < now` (the check is `exp - this < now - leeway`).
    v.reject_tokens_expiring_in_less_than = NBF_LEEWAY_SECS;
    v
}

/// The signed token (`header.claims.signature`, HS256) for `claims`.
fn encode_claims(key: &[u8], claims: &RegistryClaims) -> Result<String> {
    super::jwt::install();
    let key =
        EncodingKey::from_secret(key).map_err(|_| ServiceError::internal("the registry token key is unusable"))?;
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)
        .map_err(|_| ServiceError::internal("could not sign a registry token"))
}

/// The claims of a token signed with `key` that passes [`validation`]; any failure (format,
/// signature, algorithm, claims, time) is the same `token_invalid`.
fn decode_claims(key: &[u8], token: &str) -> Result<RegistryClaims> {
    super::jwt::install();
    let key = DecodingKey::from_secret(key).map_err(|_| invalid_token())?;
    jsonwebtoken::decode::<RegistryClaims>(token, &key, &validation())
        .map(|data| data.claims)
        .map_err(|_| invalid_token())
}

impl crate::oci::Oci<'_> {
    /// The registry token signing key, created on first use and shared through the database.
    pub async fn signing_key(&self) -> Result<Vec<u8>> {
        let candidate = crate::auth::random_secret(32);
        let mut tx = self.db.write().await?;
        let stored = trove_db::oci_settings::get_or_insert(&mut tx, KEY_SETTING, &candidate, now_ms()).await?;
        tx.commit().await?;
        B64.decode(stored.as_bytes())
            .ok()
            .filter(|key| !key.is_empty())
            .ok_or_else(|| ServiceError::internal("the stored registry token key is corrupt"))
    }

    /// Logs in for the registry: a username with its password, or any username with a Trove
    /// API token (`trv_…`) as the password.
    pub async fn login(&self, ctx: &Ctx, username: &str, password: &str) -> Result<Principal> {
        if password.starts_with(crate::auth::TOKEN_PREFIX) {
            return self.accounts().authenticate_token(password).await;
        }
        let user = self
            .accounts()
            .check_password(ctx, username, password, "registry")
            .await?;
        Ok(Principal {
            user: user.into(),
            via: AuthVia::Session {
                csrf_token: String::new(),
            },
        })
    }

    /// The part of `requested` the caller may have. Unknown scope types and actions are
    /// dropped; `*` stands for every action the caller may do.
    pub async fn grant(&self, ctx: &Ctx, requested: &[Access]) -> Result<Vec<Access>> {
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
                        if !granted.contains(&a.as_str().to_string()) && self.allowed(ctx, &repo, a).await? {
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
    pub fn issue_token(&self, key: &[u8], ctx: &Ctx, access: Vec<Access>, ttl_ms: i64) -> Result<IssuedToken> {
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
        Ok(IssuedToken {
            token: encode_claims(key, &claims)?,
            expires_in_secs: ttl_ms / 1000,
            issued_at_ms: now,
        })
    }

    /// Checks a registry token and rebuilds its caller: the user must still be active and the
    /// API token it was issued for still valid.
    pub async fn verify_token(&self, key: &[u8], token: &str) -> Result<(Option<Principal>, RegistryClaims)> {
        let claims = decode_claims(key, token)?;
        let Some(uid) = claims.uid else {
            return Ok((None, claims));
        };
        let mut conn = self.db.conn().await?;
        let user = trove_db::users::find_by_id(&mut conn, uid)
            .await?
            .filter(|u| !u.disabled)
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
                    scopes: t.scopes,
                    patterns: t.patterns,
                }
            }
        };
        Ok((Some(Principal { user: user.into(), via }), claims))
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

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn claims_at(now: i64) -> RegistryClaims {
        RegistryClaims {
            iss: ISSUER.into(),
            sub: "alice".into(),
            aud: ISSUER.into(),
            exp: now + 300,
            nbf: now - 5,
            iat: now,
            jti: "jti".into(),
            access: vec![
                Access::parse_scope("repository:alice/app:pull,push").unwrap(),
                Access::parse_scope("registry:catalog:*").unwrap(),
            ],
            uid: Some(7),
            tid: None,
        }
    }

    fn now() -> i64 {
        now_ms() / 1000
    }

    /// A token put together by hand: any header, the claims, signed HS256 with `key`.
    fn forge(header: &str, claims: &serde_json::Value, key: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let input = format!(
            "{}.{}",
            B64.encode(header),
            B64.encode(serde_json::to_vec(claims).unwrap())
        );
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        mac.update(input.as_bytes());
        format!("{input}.{}", B64.encode(mac.finalize().into_bytes()))
    }

    fn refused(token: &str) -> bool {
        match decode_claims(KEY, token) {
            Err(e) => e.code == "token_invalid",
            Ok(_) => false,
        }
    }

    #[test]
    fn tokens_round_trip_their_claims() {
        let c = claims_at(now());
        let token = encode_claims(KEY, &c).unwrap();
        let back = decode_claims(KEY, &token).unwrap();
        assert_eq!(back.access, c.access);
        assert_eq!(back.access[0].actions, vec!["pull", "push"]);
        assert_eq!((back.sub.as_str(), back.uid, back.tid), ("alice", Some(7), None));
        assert_eq!(
            (back.exp, back.nbf, back.iat, back.jti.as_str()),
            (c.exp, c.nbf, c.iat, "jti")
        );

        // The wire format: an HS256 JWT header and the claims exactly as serde writes them.
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header, serde_json::json!({"alg": "HS256", "typ": "JWT"}));
        assert_eq!(B64.decode(parts[1]).unwrap(), serde_json::to_vec(&c).unwrap());
        let body: serde_json::Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            body["access"][1],
            serde_json::json!({"type": "registry", "name": "catalog", "actions": ["*"]})
        );
        assert!(body.get("tid").is_none());

        // A hand-made HS256 token (what earlier versions issued) is accepted too.
        let old = forge(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            &serde_json::to_value(&c).unwrap(),
            KEY,
        );
        assert_eq!(decode_claims(KEY, &old).unwrap().access, c.access);
    }

    #[test]
    fn tokens_signed_with_another_key_or_tampered_are_refused() {
        let c = claims_at(now());
        let other = encode_claims(b"another key, not the stored one!", &c).unwrap();
        assert!(refused(&other));

        let token = encode_claims(KEY, &c).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let mut changed = serde_json::to_value(&c).unwrap();
        changed["access"][0]["name"] = "bob/app".into();
        let body = B64.encode(serde_json::to_vec(&changed).unwrap());
        assert!(refused(&format!("{}.{body}.{}", parts[0], parts[2])));
        for bad in ["", "eyJ.bogus.jwt", "a.b", &format!("{token}.x"), &parts[..2].join(".")] {
            assert!(refused(bad), "{bad}");
        }
        assert!(encode_claims(b"", &c).is_err());
    }

    #[test]
    fn other_algorithms_are_refused() {
        let c = serde_json::to_value(claims_at(now())).unwrap();
        // `none`, unsigned and signed.
        let unsigned = forge(r#"{"alg":"none","typ":"JWT"}"#, &c, KEY);
        let (input, _) = unsigned.rsplit_once('.').unwrap();
        assert!(refused(&format!("{input}.")));
        assert!(refused(&unsigned));
        // RS256/HS512 headers over a signature made with the right key (algorithm confusion).
        for header in [
            r#"{"alg":"RS256","typ":"JWT"}"#,
            r#"{"alg":"HS512","typ":"JWT"}"#,
            r#"{"alg":"NONE","typ":"JWT"}"#,
            r#"{"typ":"JWT"}"#,
        ] {
            assert!(refused(&forge(header, &c, KEY)), "{header}");
        }
        // The same token with the right header passes, so it is the `alg` that is refused.
        assert!(!refused(&forge(r#"{"alg":"HS256","typ":"JWT"}"#, &c, KEY)));
    }

    #[test]
    fn time_issuer_and_audience_are_checked() {
        let now = now();
        let token = |f: &dyn Fn(&mut RegistryClaims)| {
            let mut c = claims_at(now);
            f(&mut c);
            encode_claims(KEY, &c).unwrap()
        };
        // Expired: no leeway after `exp`.
        assert!(refused(&token(&|c| c.exp = now - 2)));
        assert!(refused(&token(&|c| c.exp = now - 3600)));
        assert!(!refused(&token(&|c| c.exp = now + 2)));
        // Not yet valid: up to a minute of clock skew is tolerated, not more.
        assert!(!refused(&token(&|c| c.nbf = now + 30)));
        assert!(refused(&token(&|c| c.nbf = now + 120)));
        // Issuer and audience are `trove`.
        assert!(refused(&token(&|c| c.iss = "elsewhere".into())));
        assert!(refused(&token(&|c| c.aud = "elsewhere".into())));
        // Every claim must be there.
        for missing in ["exp", "nbf", "iss", "aud", "access", "jti"] {
            let mut c = serde_json::to_value(claims_at(now)).unwrap();
            c.as_object_mut().unwrap().remove(missing);
            assert!(refused(&forge(r#"{"alg":"HS256","typ":"JWT"}"#, &c, KEY)), "{missing}");
        }
    }
}
