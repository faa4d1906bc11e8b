//! What the API sends and receives. Fields the server may leave out default, so a newer
//! registry that adds fields or an older one that lacks some still decodes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `GET /me`: the caller.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Me {
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub created_at: Option<String>,
    /// How the caller authenticated: `{"type": "token", "scopes": [...]}` or a session.
    #[serde(default)]
    pub auth: serde_json::Value,
    #[serde(default)]
    pub organizations: Vec<Membership>,
}

impl Me {
    /// The token's scopes (empty for sessions).
    pub fn scopes(&self) -> Vec<String> {
        self.auth["scopes"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Membership {
    pub name: String,
    pub role: String,
}

/// Package metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Package {
    pub scope: String,
    pub name: String,
    pub full_name: String,
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub visibility: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub homepage: Option<String>,
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub readme: Option<String>,
    #[serde(default)]
    pub latest_version: Option<String>,
    #[serde(default)]
    pub downloads: i64,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// One published version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Version {
    /// `scope/name`.
    pub package: String,
    pub version: String,
    /// `sha256:<hex>` of the archive.
    pub digest: String,
    #[serde(default)]
    pub size: i64,
    /// Dependency name → semver requirement.
    #[serde(default)]
    pub dependencies: BTreeMap<String, String>,
    #[serde(default)]
    pub yanked: bool,
    #[serde(default)]
    pub yanked_at: Option<String>,
    #[serde(default)]
    pub deprecated: Option<String>,
    #[serde(default)]
    pub publisher: Option<String>,
    #[serde(default)]
    pub downloads: i64,
    #[serde(default)]
    pub created_at: Option<String>,
    /// Path of the archive, relative to the registry's base URL.
    #[serde(default)]
    pub download_url: Option<String>,
    #[serde(default)]
    pub manifest: serde_json::Value,
}

/// A package owner or maintainer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Owner {
    pub username: String,
    pub role: String,
    #[serde(default)]
    pub since: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Org {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub username: String,
    pub role: String,
    #[serde(default)]
    pub since: Option<String>,
}

/// An API token (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub packages: Option<Vec<String>>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub last_used_at: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// A token just created: its secret is shown this once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: Token,
    pub token: String,
}

/// The body of `POST /tokens`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewToken {
    pub name: String,
    pub scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packages: Option<Vec<String>>,
    /// Lifetime in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
}

/// `POST /device/code`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    pub expires_in: i64,
    #[serde(default = "default_interval")]
    pub interval: i64,
}

fn default_interval() -> i64 {
    5
}

/// `POST /device/token` once approved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceGrant {
    pub access_token: String,
    #[serde(default)]
    pub token_id: Option<i64>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// `POST /device/approve` and `/device/deny`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceDecision {
    pub user_code: String,
    #[serde(default)]
    pub client_name: Option<String>,
    pub approved: bool,
    pub username: String,
}

/// Parameters of `GET /search`; unset ones are left out of the query.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SearchQuery {
    pub q: String,
    pub ecosystem: Option<String>,
    pub kind: Option<String>,
    pub category: Option<String>,
    pub license: Option<String>,
    pub keyword: Option<String>,
    /// `relevance`, `downloads`, `recent` or `name`.
    pub sort: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl SearchQuery {
    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("q", self.q.clone())];
        let opt = [
            ("ecosystem", &self.ecosystem),
            ("kind", &self.kind),
            ("category", &self.category),
            ("license", &self.license),
            ("keyword", &self.keyword),
            ("sort", &self.sort),
        ];
        out.extend(opt.into_iter().filter_map(|(k, v)| v.clone().map(|v| (k, v))));
        out.extend(self.page.map(|p| ("page", p.to_string())));
        out.extend(self.per_page.map(|p| ("per_page", p.to_string())));
        out
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchResults {
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub page: i64,
    #[serde(default)]
    pub per_page: i64,
    #[serde(default)]
    pub results: Vec<SearchHit>,
    /// Facet name → value → count.
    #[serde(default)]
    pub facets: BTreeMap<String, BTreeMap<String, i64>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchHit {
    pub full_name: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub latest_version: Option<String>,
    #[serde(default)]
    pub downloads: i64,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// `GET /packages/{scope}/{name}/stats`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stats {
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub last_7_days: i64,
    #[serde(default)]
    pub last_30_days: i64,
    #[serde(default)]
    pub last_365_days: i64,
    #[serde(default)]
    pub daily: Vec<DailyDownloads>,
    #[serde(default)]
    pub versions: Vec<VersionDownloads>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DailyDownloads {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub downloads: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionDownloads {
    pub version: String,
    pub total: i64,
}

/// A webhook of a namespace (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Webhook {
    pub id: i64,
    pub namespace: String,
    pub url: String,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// A webhook just created: its signing secret is shown this once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    pub secret: String,
}

/// One delivery of a webhook's log, with its attempts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub id: i64,
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub delivered_at: Option<String>,
    /// When a pending delivery is tried next.
    #[serde(default)]
    pub next_attempt_at: Option<String>,
    #[serde(default)]
    pub payload: serde_json::Value,
    #[serde(default)]
    pub attempts: Vec<WebhookAttempt>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookAttempt {
    pub attempt: i64,
    pub at: String,
    #[serde(default)]
    pub status_code: Option<i64>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub duration_ms: i64,
}

/// `POST /namespaces/{scope}/webhooks/{id}/test`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookTest {
    pub delivery_id: i64,
}
