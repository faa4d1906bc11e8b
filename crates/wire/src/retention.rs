//! Retention policies and storage quotas of a namespace.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The rules of `PUT /namespaces/{scope}/retention`. A version (or OCI tag) goes only when
/// every rule that is set condemns it; the package's latest version, the `latest` tag and
/// versions other packages depend on always stay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionRules {
    /// Keep this many newest versions (tags) of each package (repository)
    #[serde(default)]
    #[schema(minimum = 1)]
    pub keep_last: Option<i64>,
    /// Delete only versions (tags) older than this many days
    #[serde(default)]
    #[schema(minimum = 1)]
    pub max_age_days: Option<i64>,
    /// Only versions (tags) whose name matches this glob (`*` matches any run of characters)
    #[serde(default)]
    #[schema(max_length = 128)]
    pub pattern: Option<String>,
    /// Also delete OCI manifests that no tag, index or subject keeps
    #[serde(default)]
    pub delete_untagged: bool,
}

/// A namespace's retention policy
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RetentionPolicy {
    pub namespace: String,
    #[schema(required)]
    pub keep_last: Option<i64>,
    #[schema(required)]
    pub max_age_days: Option<i64>,
    #[schema(required)]
    pub pattern: Option<String>,
    pub delete_untagged: bool,
    /// When the retention job last applied it
    #[schema(required, format = DateTime)]
    pub last_run_at: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// One thing a retention run deletes (or would delete)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RetentionItem {
    /// `scope/name`
    pub package: String,
    pub ecosystem: String,
    /// `version`, `tag` or `manifest`
    pub kind: String,
    /// The version, tag or manifest digest
    pub name: String,
    /// Bytes of the version's files or the manifest (a tag alone frees none)
    pub size: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// What a retention policy deletes (preview) or deleted (apply)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RetentionReport {
    pub namespace: String,
    /// True for a preview: nothing was deleted
    pub dry_run: bool,
    pub deleted: Vec<RetentionItem>,
    /// Candidates kept because another version depends on them
    pub protected: Vec<RetentionItem>,
    /// Bytes the garbage collection after the run freed (0 in a preview)
    pub bytes_reclaimed: i64,
    /// Why parts of the policy were not applied (OCI repositories when `[oci] delete_enabled`
    /// is false)
    pub notes: Vec<String>,
}

/// A namespace's storage use and quota
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StorageUsage {
    pub namespace: String,
    /// Bytes of the distinct blobs its live versions and OCI repositories reference
    pub used_bytes: i64,
    /// The quota, when a site admin set one
    #[schema(required)]
    pub quota_bytes: Option<i64>,
}

/// The body of `PUT /namespaces/{scope}/quota`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaUpdate {
    /// The limit in bytes; null removes it
    #[schema(required, minimum = 0)]
    pub max_bytes: Option<i64>,
}
