//! CLI login by the device-code flow (RFC 8628): the CLI asks for a code pair, the person
//! approves the short user code while signed in, and the CLI, polling with its secret device
//! code, then receives a fresh API token of the approving user.
//!
//! Both codes are stored only as SHA-256 hashes. A device code yields at most one token.

use crate::auth::{random_secret, sha256_hex};
use crate::tokens::LOGIN_TOKEN_SCOPES;
use crate::{audit, AuthVia, Ctx, Result, ServiceError};
use rand::Rng;
use trove_core::{now_ms, TokenScope};
use trove_db::device_codes::{self, DeviceCode, NewDeviceCode};

/// How long a code pair stays valid.
pub const DEVICE_CODE_TTL_MS: i64 = 15 * 60 * 1000;
/// The polling interval first announced to the CLI.
pub const DEVICE_POLL_INTERVAL_MS: i64 = 2_000;
/// Added to the interval each time the CLI polls too fast (RFC 8628 §3.5).
const SLOW_DOWN_STEP_MS: i64 = 5_000;
/// User codes use consonants only (no vowels: no words; no look-alikes such as 0/O, 1/I).
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE_LEN: usize = 8;

use trove_wire::limits::CLIENT_NAME_MAX_CHARS;
pub use trove_wire::{DeviceCode as DeviceAuthorization, DeviceDecision, DeviceGrant};

fn new_user_code() -> String {
    let mut rng = rand::thread_rng();
    let raw: String = (0..USER_CODE_LEN)
        .map(|_| USER_CODE_ALPHABET[rng.gen_range(0..USER_CODE_ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &raw[..4], &raw[4..])
}

/// `abcd efgh`, `ABCD-EFGH` and `abcdefgh` are the same code.
fn normalize_user_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn device_error(code: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request(code, message)
}

impl crate::accounts::Accounts<'_> {
    /// Starts a device login (anonymous). `client_name` says what is asking, e.g.
    /// `trove CLI on build-host`; it is shown to the person approving.
    pub async fn start_device_login(&self, client_name: Option<&str>) -> Result<DeviceAuthorization> {
        let client_name = client_name.map(str::trim).filter(|c| !c.is_empty());
        if client_name.is_some_and(|c| c.chars().count() > CLIENT_NAME_MAX_CHARS || c.chars().any(char::is_control)) {
            return Err(ServiceError::unprocessable(
                "invalid_client_name",
                format!("client_name must have at most {CLIENT_NAME_MAX_CHARS} characters and no control characters"),
            ));
        }
        let now = now_ms();
        let device_code = random_secret(32);
        let mut tx = self.db.write().await?;
        device_codes::delete_expired(&mut tx, now).await?;
        // A clash with a live user code is rare; a few fresh draws settle it.
        for _ in 0..5 {
            let user_code = new_user_code();
            let user_hash = sha256_hex(&normalize_user_code(&user_code));
            if device_codes::find_by_user_code(&mut tx, &user_hash).await?.is_some() {
                continue;
            }
            device_codes::insert(
                &mut tx,
                NewDeviceCode {
                    device_code_hash: &sha256_hex(&device_code),
                    user_code_hash: &user_hash,
                    client_name,
                    interval_ms: DEVICE_POLL_INTERVAL_MS,
                    now,
                    expires_at: now + DEVICE_CODE_TTL_MS,
                },
            )
            .await?;
            tx.commit().await?;
            let base = self.config.base_url.trim_end_matches('/');
            return Ok(DeviceAuthorization {
                device_code,
                verification_uri: format!("{base}/device"),
                verification_uri_complete: format!("{base}/device?code={user_code}"),
                user_code,
                expires_in: DEVICE_CODE_TTL_MS / 1000,
                interval: DEVICE_POLL_INTERVAL_MS / 1000,
            });
        }
        Err(ServiceError::internal("could not draw a free user code"))
    }

    /// Approves or denies a pending device login as the signed-in caller (a session, or a
    /// token with the `admin` scope, like token management).
    pub async fn decide_device_login(&self, ctx: &Ctx, user_code: &str, approve: bool) -> Result<DeviceDecision> {
        let p = ctx.require_scope(TokenScope::Admin)?;
        // The device gets a token for every package: a token limited to some may not grant it.
        if approve && matches!(&p.via, AuthVia::Token { patterns: Some(_), .. }) {
            return Err(ServiceError::new(
                crate::ErrorKind::Forbidden,
                "token_pattern_mismatch",
                "this token is limited to some packages and may not approve a device login",
            ));
        }
        // Nor may a token that expires: the device's token would outlive it.
        if let (true, AuthVia::Token { id, .. }) = (approve, &p.via) {
            let mut conn = self.db.conn().await?;
            if trove_db::oci_settings::find_token(&mut conn, *id)
                .await?
                .is_some_and(|t| t.expires_at.is_some())
            {
                return Err(ServiceError::new(
                    crate::ErrorKind::Forbidden,
                    "token_expiry_exceeded",
                    "this token expires and may not approve a device login, whose token does not",
                ));
            }
        }
        let normalized = normalize_user_code(user_code);
        let not_found = || {
            ServiceError::not_found(format!(
                "no pending login request has the code `{}` (it may have expired or been used)",
                user_code.trim()
            ))
        };
        if normalized.len() != USER_CODE_LEN {
            return Err(not_found());
        }
        let now = now_ms();
        let mut tx = self.db.write().await?;
        let d = device_codes::find_by_user_code(&mut tx, &sha256_hex(&normalized))
            .await?
            .filter(|d| d.expires_at > now && d.approved_at.is_none() && d.denied_at.is_none())
            .ok_or_else(not_found)?;
        if !device_codes::decide(&mut tx, d.id, p.user.id, approve, now).await? {
            return Err(not_found());
        }
        audit::record(
            &mut tx,
            ctx,
            if approve { "device.approve" } else { "device.deny" },
            &format!("device:{}", d.id),
            None,
            serde_json::json!({ "client_name": d.client_name }),
        )
        .await?;
        tx.commit().await?;
        Ok(DeviceDecision {
            user_code: format!("{}-{}", &normalized[..4], &normalized[4..]),
            client_name: d.client_name,
            approved: approve,
            username: p.user.username.clone(),
        })
    }

    /// The CLI's poll. Until approval it fails with `authorization_pending` (or `slow_down`
    /// when polling faster than the interval); then it creates the token exactly once.
    pub async fn poll_device_login(&self, ctx: &Ctx, device_code: &str) -> Result<DeviceGrant> {
        let unknown = || device_error("invalid_grant", "unknown device code");
        if device_code.is_empty() || device_code.len() > 200 {
            return Err(unknown());
        }
        let now = now_ms();
        let mut tx = self.db.write().await?;
        let d: DeviceCode = device_codes::find_by_device_code(&mut tx, &sha256_hex(device_code))
            .await?
            .ok_or_else(unknown)?;
        if d.consumed_at.is_some() {
            return Err(device_error("invalid_grant", "this device code has already been used"));
        }
        if d.denied_at.is_some() {
            return Err(device_error("access_denied", "the login request was denied"));
        }
        if d.expires_at <= now {
            return Err(device_error(
                "expired_token",
                "the login request expired before it was approved; start again",
            ));
        }
        let Some(user_id) = d.user_id.filter(|_| d.approved_at.is_some()) else {
            let too_fast = d.last_poll_at.is_some_and(|t| now - t < d.interval_ms * 3 / 4);
            let interval = if too_fast {
                d.interval_ms + SLOW_DOWN_STEP_MS
            } else {
                d.interval_ms
            };
            device_codes::record_poll(&mut tx, d.id, now, interval).await?;
            tx.commit().await?;
            return Err(if too_fast {
                device_error(
                    "slow_down",
                    format!("polling too fast: wait {} seconds between polls", interval / 1000),
                )
            } else {
                device_error("authorization_pending", "the login request has not been approved yet")
            });
        };
        let user = trove_db::users::find_by_id(&mut tx, user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| device_error("access_denied", "the approving account is disabled"))?;
        let scopes: Vec<String> = LOGIN_TOKEN_SCOPES.iter().map(|s| s.as_str().to_string()).collect();
        let name = format!("device login: {}", d.client_name.as_deref().unwrap_or("trove CLI"));
        let details = serde_json::json!({ "via": "device", "device": d.id });
        let (token_id, secret) =
            crate::tokens::issue_login_token(&mut tx, ctx, &user.clone().into(), &name, details).await?;
        if !device_codes::consume(&mut tx, d.id, token_id, now).await? {
            // Another poll collected it first; this transaction (and its token) is dropped.
            return Err(device_error("invalid_grant", "this device code has already been used"));
        }
        tx.commit().await?;
        Ok(DeviceGrant {
            access_token: secret,
            token_type: trove_wire::TokenType::Bearer,
            token_id,
            username: user.username,
            scopes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes() {
        let c = new_user_code();
        assert_eq!(c.len(), 9);
        assert_eq!(&c[4..5], "-");
        assert!(c
            .bytes()
            .filter(|b| *b != b'-')
            .all(|b| USER_CODE_ALPHABET.contains(&b)));
        assert_eq!(normalize_user_code(" bcdf-ghjk "), "BCDFGHJK");
        assert_eq!(normalize_user_code("bcdfghjk"), "BCDFGHJK");
    }
}
