//! `npm login --auth-type=legacy` and `npm adduser`: a username and password (and, for a new
//! account, an email) are exchanged for a Trove API token, which npm keeps as `_authToken`.

use crate::accounts::NewUser;
use crate::{Ctx, Result, ServiceError};

/// A successful npm login.
#[derive(Debug, Clone)]
pub struct NpmLogin {
    pub username: String,
    /// The API token (`trv_…`); shown only this once.
    pub token: String,
    /// Whether the account was created by this request (`npm adduser`).
    pub created: bool,
}

impl super::Npm<'_> {
    /// Logs in with a password and hands out a token. With an email and no such account it
    /// registers one first (when registration is open), as `npm adduser` expects. Failed
    /// logins look the same whatever was wrong, and are audited.
    pub async fn login(&self, ctx: &Ctx, username: &str, password: &str, email: Option<&str>) -> Result<NpmLogin> {
        let exists = {
            let mut conn = self.db.conn().await?;
            trove_db::users::find_by_username(&mut conn, username).await?.is_some()
        };
        let (user, created) = match email {
            Some(email) if !exists => {
                let new = NewUser {
                    username: username.into(),
                    email: email.into(),
                    password: password.into(),
                };
                (self.accounts().register(ctx, new).await?, true)
            }
            _ => (
                self.accounts()
                    .check_password(ctx, username, password, "npm")
                    .await?
                    .into(),
                false,
            ),
        };
        let mut tx = self.db.write().await?;
        let details = serde_json::json!({ "via": "npm login" });
        let (_, token) = crate::tokens::issue_login_token(&mut tx, ctx, &user, "npm login", details).await?;
        tx.commit().await?;
        Ok(NpmLogin {
            username: user.username,
            token,
            created,
        })
    }

    /// Who a token belongs to (`npm whoami`); 401 when anonymous.
    pub fn whoami<'c>(&self, ctx: &'c Ctx) -> Result<&'c str> {
        ctx.principal
            .as_ref()
            .map(|p| p.user.username.as_str())
            .ok_or_else(|| ServiceError::unauthenticated("not logged in: run `npm login`"))
    }

    /// The username of an active account, 404 when there is none (`npm owner add` checks the
    /// new owner exists).
    pub async fn find_user(&self, username: &str) -> Result<String> {
        let mut conn = self.db.conn().await?;
        trove_db::users::find_by_username(&mut conn, username)
            .await?
            .filter(|u| !u.disabled)
            .map(|u| u.username)
            .ok_or_else(|| ServiceError::not_found(format!("user `{username}` not found")))
    }
}
