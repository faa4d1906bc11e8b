//! CLI login by the device-code flow (RFC 8628).

use crate::vocab;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The body of `POST /device/code`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceCodeRequest {
    #[serde(default)]
    #[schema(schema_with = crate::rules::client_name)]
    pub client_name: Option<String>,
}

/// A pending device login (RFC 8628)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceCode {
    /// The CLI's secret for polling; shown only this once
    pub device_code: String,
    /// What the person approves, `XXXX-XXXX`
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    /// Seconds until both codes expire
    pub expires_in: i64,
    /// Seconds to wait between polls
    pub interval: i64,
}

/// The body of `POST /device/approve` and `/device/deny`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCode {
    /// `XXXX-XXXX` (case, spaces and dashes ignored)
    pub user_code: String,
}

/// The outcome of an approval or a denial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceDecision {
    pub user_code: String,
    #[schema(required)]
    pub client_name: Option<String>,
    pub approved: bool,
    /// Who decided
    pub username: String,
}

/// The body of `POST /device/token`: the CLI's poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceTokenRequest {
    pub device_code: String,
}

/// The API token of an approved device login, handed out once
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceGrant {
    /// The secret, `trv_…`
    pub access_token: String,
    #[schema(inline)]
    pub token_type: TokenType,
    pub token_id: i64,
    pub username: String,
    #[schema(value_type = Vec<vocab::TokenScope>)]
    pub scopes: Vec<String>,
}

/// OAuth's token type: always `bearer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Bearer,
}
