//! Packages, versions and owners.

use crate::vocab;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A package
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Package {
    pub scope: String,
    pub name: String,
    /// `scope/name`
    pub full_name: String,
    #[schema(value_type = vocab::Ecosystem)]
    pub ecosystem: trove_core::Ecosystem,
    #[schema(value_type = vocab::PackageKind)]
    pub kind: trove_core::PackageKind,
    #[schema(value_type = vocab::Visibility)]
    pub visibility: trove_core::Visibility,
    #[schema(required)]
    pub description: Option<String>,
    /// SPDX expression
    #[schema(required)]
    pub license: Option<String>,
    pub keywords: Vec<String>,
    /// Category slugs
    pub categories: Vec<String>,
    #[schema(required)]
    pub homepage: Option<String>,
    #[schema(required)]
    pub repository: Option<String>,
    /// README text of the latest version
    #[schema(required)]
    pub readme: Option<String>,
    /// Highest non-yanked version
    #[schema(required)]
    pub latest_version: Option<String>,
    /// All-time downloads
    pub downloads: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// The body of `PATCH /packages/{scope}/{name}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageUpdate {
    #[schema(value_type = vocab::Visibility)]
    pub visibility: trove_core::Visibility,
}

/// A published version
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Version {
    /// `scope/name`
    pub package: String,
    /// Semver 2.0
    pub version: String,
    /// `sha256:<hex>` of the archive
    pub digest: String,
    /// Archive bytes
    pub size: i64,
    /// Package name → semver requirement
    pub dependencies: BTreeMap<String, String>,
    pub yanked: bool,
    #[schema(required, format = DateTime)]
    pub yanked_at: Option<String>,
    /// Why it was yanked, if the yanker said
    #[schema(required)]
    #[serde(default)]
    pub yank_reason: Option<String>,
    /// The deprecation message, if deprecated
    #[schema(required)]
    pub deprecated: Option<String>,
    /// Username of the publisher
    #[schema(required)]
    pub publisher: Option<String>,
    pub downloads: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Path of the archive
    pub download_url: String,
    /// The version's `trove.toml`
    // (For OCI repositories shown as packages: the tag's manifest JSON.)
    #[schema(value_type = Manifest)]
    pub manifest: serde_json::Value,
    /// The publish-time scan, when the registry runs a scanner (`[scan] command`)
    #[serde(default)]
    #[schema(required)]
    pub scan: Option<Scan>,
}

/// A version's publish-time scan: the scanner's verdict on the version's files (or an OCI
/// image's layers)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Scan {
    /// pending (queued or waiting for a retry), passed (exit 0), failed (exit 1), error
    /// (crashed or timed out on its last attempt)
    #[schema(value_type = vocab::ScanStatus)]
    pub status: String,
    /// Whether installs are refused this version until its scan passes (`[scan] quarantine`)
    pub quarantined: bool,
    /// Attempts made so far
    pub attempts: i64,
    /// The scanner's exit status of the last attempt (none when killed or not run)
    #[schema(required)]
    pub exit_code: Option<i64>,
    /// The JSON object the scanner wrote to `$TROVE_SCAN_FINDINGS`, if any
    #[schema(required, value_type = Option<Object>)]
    pub findings: Option<serde_json::Value>,
    /// The scanner's stdout and stderr (bounded); shown to owners and admins only
    #[schema(required)]
    pub output: Option<String>,
    /// Why the last attempt did not finish (timeout, crash, materializing the files)
    #[schema(required)]
    pub error: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(required, format = DateTime)]
    pub started_at: Option<String>,
    #[schema(required, format = DateTime)]
    pub finished_at: Option<String>,
}

/// The version's `trove.toml`, as validated
// `trove_core::manifest::Manifest` as the server stores it; the traffic test catches a member
// one has and the other lacks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Manifest {
    #[schema(inline)]
    pub package: ManifestPackage,
    /// Package name → semver requirement
    pub dependencies: BTreeMap<String, String>,
    /// The free `[metadata]` table
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
}

/// The `[package]` table of a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ManifestPackage {
    pub name: String,
    pub version: String,
    #[schema(value_type = vocab::PackageKind)]
    pub kind: trove_core::PackageKind,
    #[schema(required)]
    pub description: Option<String>,
    #[schema(required)]
    pub license: Option<String>,
    pub keywords: Vec<String>,
    pub categories: Vec<String>,
    #[schema(required)]
    pub homepage: Option<String>,
    #[schema(required)]
    pub repository: Option<String>,
    /// Path of the README in the archive
    #[schema(required)]
    pub readme: Option<String>,
}

/// The body of `PUT …/versions/{version}/deprecation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deprecation {
    #[schema(schema_with = crate::rules::deprecation_message)]
    pub message: String,
}

/// The optional body of a yank
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Yank {
    /// Why the version is yanked (shown by PyPI clients, the API and the web UI)
    #[schema(max_length = 1000)]
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Owner {
    pub username: String,
    /// `owner` or `maintainer`.
    #[schema(value_type = vocab::OwnerRole)]
    pub role: String,
    #[schema(format = DateTime)]
    pub since: String,
}

/// The body of `PUT /packages/{scope}/{name}/owners/{username}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerRoleRequest {
    /// `owner` (default) or `maintainer`.
    #[serde(default = "owner")]
    #[schema(schema_with = crate::rules::owner_role_default)]
    pub role: String,
}

fn owner() -> String {
    "owner".into()
}
