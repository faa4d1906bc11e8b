//! Registration, login and logout.

use crate::auth::{random_secret, sha256_hex, Account};
use crate::{audit, Ctx, ErrorKind, Result, ServiceError};
use trove_core::{now_ms, ScopeName};
use trove_db::sessions::Session;
use trove_db::users::User;

sub_service!(
    /// Accounts: registration, passwords, sessions, logins, site admins, device logins.
    Accounts,
    accounts
);

use trove_wire::limits::{EMAIL_MAX_LEN, PASSWORD_MAX_LEN, PASSWORD_MIN_CHARS};
pub use trove_wire::NewUser;

/// A fresh browser session: the cookie value (secret) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie: String,
    pub csrf_token: String,
    pub expires_at: i64,
    pub user: Account,
}

fn validate_new_user(u: &NewUser) -> Result<()> {
    ScopeName::parse(&u.username).map_err(|e| ServiceError::unprocessable("invalid_username", e.to_string()))?;
    let email_ok = u.email.len() <= EMAIL_MAX_LEN
        && u.email
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.starts_with('.'));
    if !email_ok {
        return Err(ServiceError::unprocessable(
            "invalid_email",
            format!("`{}` is not an email address", u.email),
        ));
    }
    if u.password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(ServiceError::unprocessable(
            "weak_password",
            format!("the password must have at least {PASSWORD_MIN_CHARS} characters"),
        ));
    }
    if u.password.len() > PASSWORD_MAX_LEN {
        return Err(ServiceError::unprocessable(
            "invalid_password",
            format!("the password is longer than {PASSWORD_MAX_LEN} bytes"),
        ));
    }
    Ok(())
}

impl Accounts<'_> {
    /// Self-service registration; refused when registration is closed.
    pub async fn register(&self, ctx: &Ctx, new: NewUser) -> Result<Account> {
        if !self.config.registration_open {
            return Err(
                ServiceError::forbidden("registration is closed on this registry").with_code("registration_closed")
            );
        }
        self.create_user(ctx, new, false).await
    }

    /// Creates a user and their namespace (also used by `trove admin create-user`).
    pub async fn create_user(&self, ctx: &Ctx, new: NewUser, admin: bool) -> Result<Account> {
        validate_new_user(&new)?;
        let hash = self.hash_password(&new.password).await?;
        let now = now_ms();
        let taken = || ServiceError::conflict("name_taken", format!("the name `{}` is already taken", new.username));
        let mut tx = self.db.write().await?;
        if trove_db::namespaces::find(&mut tx, &new.username).await?.is_some() {
            return Err(taken());
        }
        let id = trove_db::users::insert(&mut tx, &new.username, &new.email, Some(&hash), admin, now)
            .await
            .map_err(|e| if e.is_unique_violation() { taken() } else { e.into() })?;
        trove_db::namespaces::insert(
            &mut tx,
            &new.username,
            trove_core::NamespaceKind::User,
            Some(id),
            None,
            now,
        )
        .await
        .map_err(|e| if e.is_unique_violation() { taken() } else { e.into() })?;
        let mut actor_ctx = ctx.clone();
        let user = trove_db::users::find_by_id(&mut tx, id)
            .await?
            .ok_or_else(|| ServiceError::internal("user vanished"))?;
        if actor_ctx.principal.is_none() {
            actor_ctx.principal = Some(crate::Principal {
                user: user.clone().into(),
                via: crate::AuthVia::Session {
                    csrf_token: String::new(),
                },
            });
        }
        audit::record(
            &mut tx,
            &actor_ctx,
            "user.create",
            &user.username,
            None,
            serde_json::json!({ "admin": admin }),
        )
        .await?;
        tx.commit().await?;
        Ok(user.into())
    }

    /// Checks a username and password. On failure the attempt is audited (with `via` in its
    /// details) and the error is the same whatever was wrong, in about the same time.
    pub(crate) async fn check_password(&self, ctx: &Ctx, username: &str, password: &str, via: &str) -> Result<User> {
        let user = {
            let mut conn = self.db.conn().await?;
            trove_db::users::find_by_username(&mut conn, username).await?
        };
        let ok = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
            Some(hash) => self.verify_password(password, hash).await,
            None => {
                // Spend the same time as a real check so timing reveals nothing.
                let _ = self.hash_password(password).await;
                false
            }
        };
        if let Some(user) = user.filter(|u| ok && !u.disabled) {
            return Ok(user);
        }
        let mut tx = self.db.write().await?;
        audit::record(
            &mut tx,
            ctx,
            "login.failure",
            username,
            None,
            serde_json::json!({ "via": via }),
        )
        .await?;
        tx.commit().await?;
        Err(ServiceError::new(
            ErrorKind::Unauthenticated,
            "invalid_credentials",
            "wrong username or password",
        ))
    }

    /// Checks a password and opens a session. Every failure looks the same to the caller.
    pub async fn login(&self, ctx: &Ctx, username: &str, password: &str) -> Result<NewSession> {
        let user = self.check_password(ctx, username, password, "password").await?;
        let mut tx = self.db.write().await?;

        let cookie = random_secret(32);
        let now = now_ms();
        let session = Session {
            id_hash: sha256_hex(&cookie),
            user_id: user.id,
            csrf_token: random_secret(24),
            created_at: now,
            expires_at: now + self.config.session_ttl_ms,
        };
        trove_db::sessions::insert(&mut tx, &session).await?;
        let actor = Ctx {
            principal: Some(crate::Principal {
                user: user.clone().into(),
                via: crate::AuthVia::Session {
                    csrf_token: session.csrf_token.clone(),
                },
            }),
            ip: ctx.ip.clone(),
        };
        audit::record(
            &mut tx,
            &actor,
            "login.success",
            &user.username,
            None,
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(NewSession {
            cookie,
            csrf_token: session.csrf_token,
            expires_at: session.expires_at,
            user: user.into(),
        })
    }

    /// A protocol client's Basic credentials (OCI, npm's `_auth`): a username with its
    /// password (every scope, as a session), or any username with an API token as the
    /// password (that token's scopes). `via` names the client in the audit of failures.
    pub async fn basic_login(&self, ctx: &Ctx, username: &str, secret: &str, via: &str) -> Result<crate::Principal> {
        if secret.starts_with(crate::auth::TOKEN_PREFIX) {
            return self.authenticate_token(secret).await;
        }
        let user = self.check_password(ctx, username, secret, via).await?;
        Ok(crate::Principal {
            user: user.into(),
            via: crate::AuthVia::Session {
                csrf_token: String::new(),
            },
        })
    }

    /// Ends the session behind this cookie.
    pub async fn logout(&self, ctx: &Ctx, cookie: &str) -> Result<()> {
        let mut tx = self.db.write().await?;
        trove_db::sessions::delete(&mut tx, &sha256_hex(cookie)).await?;
        if let Some(u) = ctx.user() {
            audit::record(&mut tx, ctx, "logout", &u.username, None, serde_json::json!({})).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Promotes or demotes a site admin (CLI bootstrap).
    pub async fn set_admin(&self, ctx: &Ctx, username: &str, admin: bool) -> Result<()> {
        let mut tx = self.db.write().await?;
        let user = trove_db::users::find_by_username(&mut tx, username)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("user `{username}` not found")))?;
        trove_db::users::set_admin(&mut tx, user.id, admin).await?;
        audit::record(
            &mut tx,
            ctx,
            "user.set_admin",
            username,
            None,
            serde_json::json!({ "admin": admin }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl ServiceError {
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }
}

impl Accounts<'_> {
    /// Deletes sessions past their expiry; returns how many.
    pub async fn sweep_expired_sessions(&self) -> Result<u64> {
        let mut tx = self.db.write().await?;
        let n = trove_db::sessions::delete_expired(&mut tx, now_ms()).await?;
        tx.commit().await?;
        Ok(n)
    }
}
