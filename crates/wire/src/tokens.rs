//! API tokens.

use crate::vocab;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An API token (never its secret)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Token {
    pub id: i64,
    pub name: String,
    #[schema(value_type = Vec<vocab::TokenScope>)]
    pub scopes: Vec<String>,
    /// `scope/name` patterns (`*` wildcards) the token is limited to; null for every package
    #[schema(required)]
    pub packages: Option<Vec<String>>,
    /// Null: never expires
    #[schema(required, format = DateTime)]
    pub expires_at: Option<String>,
    #[schema(required, format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A new token with its secret, shown only this once
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TokenCreated {
    #[serde(flatten)]
    pub info: Token,
    /// The secret, `trv_…`
    pub token: String,
}

/// The body of `POST /tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[schema(schema_with = crate::rules::token_name)]
    pub name: String,
    #[schema(schema_with = crate::rules::token_scopes)]
    pub scopes: Vec<String>,
    /// `scope/name` patterns with `*` wildcards; none means every package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::rules::token_packages)]
    pub packages: Option<Vec<String>>,
    /// Lifetime in seconds from now; none means no expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::rules::token_expires_in)]
    pub expires_in: Option<i64>,
}
