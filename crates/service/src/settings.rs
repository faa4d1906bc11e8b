//! Account settings and site admins' user actions: change one's password (other sessions
//! end) or email (both need the current password), list and end one's browser sessions;
//! disable or enable an account (its sessions end; its tokens stop working), make or unmake
//! a site admin. Only from a browser session for one's own account; only site admins for
//! others', never on themselves.

use crate::accounts::Accounts;
use crate::auth::sha256_hex;
use crate::{audit, AuthVia, Ctx, ErrorKind, Result, ServiceError};
use trove_core::{now_ms, TokenScope};
use trove_wire::limits::{EMAIL_MAX_LEN, PASSWORD_MAX_LEN, PASSWORD_MIN_CHARS};

/// A browser session of the caller.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// A public handle of the session (not its secret, nor the hash it is looked up by).
    pub handle: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub expires_at: i64,
    /// The session making this request.
    pub current: bool,
}

fn handle_of(id_hash: &str) -> String {
    sha256_hex(&format!("session-handle:{id_hash}"))[..16].to_string()
}

/// The caller's user id and their session's CSRF token: settings change only from a session.
fn session_user(ctx: &Ctx) -> Result<(i64, &str)> {
    let p = ctx.require()?;
    match &p.via {
        AuthVia::Session { csrf_token } => Ok((p.user.id, csrf_token.as_str())),
        AuthVia::Token { .. } => Err(ServiceError::forbidden(
            "account settings change only from a browser session, not with an API token",
        )),
    }
}

fn check_email(email: &str) -> Result<()> {
    let ok = email.len() <= EMAIL_MAX_LEN
        && email
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.starts_with('.') && !b.contains('@'));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::unprocessable(
            "invalid_email",
            format!("`{email}` is not an email address"),
        ))
    }
}

fn check_password_rules(password: &str) -> Result<()> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(ServiceError::unprocessable(
            "weak_password",
            format!("the password must have at least {PASSWORD_MIN_CHARS} characters"),
        ));
    }
    if password.len() > PASSWORD_MAX_LEN {
        return Err(ServiceError::unprocessable(
            "invalid_password",
            format!("the password is longer than {PASSWORD_MAX_LEN} bytes"),
        ));
    }
    Ok(())
}

impl Accounts<'_> {
    /// Checks the caller's current password (422 `wrong_password` when it is not).
    async fn confirm_password(&self, user_id: i64, password: &str) -> Result<()> {
        let user = {
            let mut conn = self.db.conn().await?;
            trove_db::users::find_by_id(&mut conn, user_id)
                .await?
                .ok_or_else(|| ServiceError::unauthenticated("the account is gone"))?
        };
        let ok = match user.password_hash.as_deref() {
            Some(hash) => self.verify_password(password, hash).await,
            None => false,
        };
        if ok {
            Ok(())
        } else {
            Err(ServiceError::unprocessable(
                "wrong_password",
                "the current password is not right",
            ))
        }
    }

    /// Changes the caller's password; their other sessions end.
    pub async fn change_password(&self, ctx: &Ctx, current: &str, new: &str) -> Result<()> {
        let (user_id, csrf) = session_user(ctx)?;
        check_password_rules(new)?;
        self.confirm_password(user_id, current).await?;
        let hash = self.hash_password(new).await?;
        let mut tx = self.db.write().await?;
        trove_db::users::set_password(&mut tx, user_id, &hash).await?;
        let keep = trove_db::sessions::list_for_user(&mut tx, user_id, 0)
            .await?
            .into_iter()
            .find(|s| s.csrf_token == csrf)
            .map(|s| s.id_hash);
        let ended = trove_db::sessions::delete_for_user(&mut tx, user_id, keep.as_deref()).await?;
        let name = ctx.user().map(|u| u.username.clone()).unwrap_or_default();
        audit::record(
            &mut tx,
            ctx,
            "user.password_change",
            &name,
            None,
            serde_json::json!({ "sessions_ended": ended }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the caller's email address.
    pub async fn change_email(&self, ctx: &Ctx, password: &str, email: &str) -> Result<()> {
        let (user_id, _) = session_user(ctx)?;
        let email = email.trim();
        check_email(email)?;
        self.confirm_password(user_id, password).await?;
        let mut tx = self.db.write().await?;
        trove_db::users::set_email(&mut tx, user_id, email).await?;
        let name = ctx.user().map(|u| u.username.clone()).unwrap_or_default();
        audit::record(&mut tx, ctx, "user.email_change", &name, None, serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The caller's unexpired browser sessions, newest first.
    pub async fn list_sessions(&self, ctx: &Ctx) -> Result<Vec<SessionView>> {
        let (user_id, csrf) = session_user(ctx)?;
        let mut conn = self.db.conn().await?;
        Ok(trove_db::sessions::list_for_user(&mut conn, user_id, now_ms())
            .await?
            .into_iter()
            .map(|s| SessionView {
                handle: handle_of(&s.id_hash),
                created_at: s.created_at,
                expires_at: s.expires_at,
                current: s.csrf_token == csrf,
            })
            .collect())
    }

    /// Ends one of the caller's sessions (404 when they have none with that handle).
    pub async fn revoke_session(&self, ctx: &Ctx, handle: &str) -> Result<()> {
        let (user_id, _) = session_user(ctx)?;
        let mut tx = self.db.write().await?;
        let s = trove_db::sessions::list_for_user(&mut tx, user_id, 0)
            .await?
            .into_iter()
            .find(|s| handle_of(&s.id_hash) == handle)
            .ok_or_else(|| ServiceError::not_found("no such session"))?;
        trove_db::sessions::delete(&mut tx, &s.id_hash).await?;
        let name = ctx.user().map(|u| u.username.clone()).unwrap_or_default();
        audit::record(&mut tx, ctx, "session.revoke", &name, None, serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user a site admin acts on (403 for others; 422 on themselves).
    async fn admin_target(&self, ctx: &Ctx, username: &str) -> Result<trove_db::users::User> {
        ctx.require_scope(TokenScope::Admin)?;
        if !ctx.is_site_admin() {
            return Err(ServiceError::forbidden("only site admins may change other accounts"));
        }
        if ctx.user().is_some_and(|u| u.username == username) {
            return Err(ServiceError::new(
                ErrorKind::Unprocessable,
                "own_account",
                "site admins cannot disable or demote themselves; ask another admin",
            ));
        }
        let mut conn = self.db.conn().await?;
        trove_db::users::find_by_username(&mut conn, username)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("user `{username}` not found")))
    }

    /// Disables (its sessions end, its tokens are refused) or enables an account.
    pub async fn admin_set_disabled(&self, ctx: &Ctx, username: &str, disabled: bool) -> Result<()> {
        let user = self.admin_target(ctx, username).await?;
        let mut tx = self.db.write().await?;
        trove_db::users::set_disabled(&mut tx, user.id, disabled).await?;
        if disabled {
            trove_db::sessions::delete_for_user(&mut tx, user.id, None).await?;
        }
        let action = if disabled { "user.disable" } else { "user.enable" };
        audit::record(&mut tx, ctx, action, username, None, serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes an account a site admin, or not.
    pub async fn admin_set_admin(&self, ctx: &Ctx, username: &str, admin: bool) -> Result<()> {
        self.admin_target(ctx, username).await?;
        self.set_admin(ctx, username, admin).await
    }
}
