//! Accounts and sessions.

use crate::vocab;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user account
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct User {
    /// Lowercase account name, also the user's namespace
    pub username: String,
    pub email: String,
    /// Whether this is a site administrator
    pub admin: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// The body of `POST /users`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(schema_with = crate::rules::username)]
    pub username: String,
    #[schema(schema_with = crate::rules::email)]
    pub email: String,
    #[schema(schema_with = crate::rules::password)]
    pub password: String,
}

/// The body of `POST /session`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub username: String,
    pub password: String,
}

/// The logged-in user; the session itself is in the `trove_session` cookie
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Session {
    #[serde(flatten)]
    pub user: User,
    /// Send it back in `X-CSRF-Token` on unsafe cookie-authenticated requests
    pub csrf_token: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// The caller, how they authenticated, and their organizations
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Me {
    #[serde(flatten)]
    pub user: User,
    pub auth: Auth,
    pub organizations: Vec<Membership>,
}

impl Me {
    /// The token's scopes (empty for sessions).
    pub fn scopes(&self) -> Vec<String> {
        match &self.auth {
            Auth::Token { scopes, .. } => scopes.iter().map(|s| s.as_str().to_string()).collect(),
            Auth::Session { .. } => Vec::new(),
        }
    }
}

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Auth {
    /// Authenticated by a browser session
    Session { csrf_token: String },
    /// Authenticated by an API token
    Token {
        token_id: i64,
        #[schema(value_type = Vec<vocab::TokenScope>)]
        scopes: Vec<trove_core::TokenScope>,
        /// The token's package patterns; null for every package
        #[schema(required)]
        packages: Option<Vec<String>>,
    },
}

/// An organization the caller belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Membership {
    pub name: String,
    #[schema(value_type = vocab::OrgRole)]
    pub role: String,
}
