//! Security advisories: what the native API takes to create, edit and report one, and what it
//! answers (Trove's view around the OSV document, which is served as is).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An OSV severity: a CVSS v3.1 or v4.0 vector
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OsvSeverity {
    /// `CVSS_V3` or `CVSS_V4`
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector, e.g. `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`
    pub score: String,
}

/// One event of an OSV range: exactly one member is set
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OsvEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

/// An OSV range of affected versions
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OsvRange {
    /// `SEMVER` (native, npm, Cargo) or `ECOSYSTEM` (any, PEP 440 order for PyPI)
    #[serde(rename = "type")]
    pub kind: String,
    pub events: Vec<OsvEvent>,
}

/// Versions of the advisory's package that are affected
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AffectedVersions {
    #[serde(default)]
    pub ranges: Vec<OsvRange>,
    /// Explicitly affected versions
    #[serde(default)]
    pub versions: Vec<String>,
}

/// An OSV reference
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OsvReference {
    /// `ADVISORY`, `ARTICLE`, `DETECTION`, `DISCUSSION`, `REPORT`, `FIX`, `INTRODUCED`,
    /// `GIT`, `PACKAGE`, `EVIDENCE` or `WEB`
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

/// An OSV credit
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OsvCredit {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact: Vec<String>,
    /// `FINDER`, `REPORTER`, `ANALYST`, `COORDINATOR`, `REMEDIATION_DEVELOPER`,
    /// `REMEDIATION_REVIEWER`, `REMEDIATION_VERIFIER`, `TOOL`, `SPONSOR` or `OTHER`
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// The content of an advisory (the body of an edit)
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvisoryContent {
    /// One line, at most 200 characters
    pub summary: String,
    /// Markdown
    #[serde(default)]
    pub details: String,
    /// Other ids of the same vulnerability (CVE, GHSA)
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub severity: Vec<OsvSeverity>,
    /// The affected versions of the package (at least one range or version)
    pub affected: Vec<AffectedVersions>,
    #[serde(default)]
    pub references: Vec<OsvReference>,
    #[serde(default)]
    pub credits: Vec<OsvCredit>,
    /// `CWE-n` ids
    #[serde(default)]
    pub cwe_ids: Vec<String>,
    /// The affected versions are malicious (a `MAL-` style advisory)
    #[serde(default)]
    pub malicious: bool,
}

/// The body of `POST /advisories` (create, owners and site admins) and
/// `POST /advisories/reports` (report, any signed-in user)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewAdvisory {
    /// The Trove ecosystem of the package (`native`, `npm`, `cargo`, `pypi`)
    pub ecosystem: String,
    /// The Trove package, `scope/name`
    pub package: String,
    #[serde(flatten)]
    pub content: AdvisoryContent,
}

/// An advisory as Trove keeps it
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Advisory {
    /// `TROVE-YYYY-N`, or the id of an imported record
    pub id: String,
    /// `reported` (in the review queue), `published` or `rejected`
    pub state: String,
    /// `local` (made in Trove) or `imported` (from an OSV dump; read-only)
    pub source: String,
    /// The Trove ecosystem of the package it belongs to (local advisories)
    #[schema(required)]
    pub ecosystem: Option<String>,
    /// The Trove package it belongs to, `scope/name` (local advisories)
    #[schema(required)]
    pub package: Option<String>,
    pub withdrawn: bool,
    pub malicious: bool,
    /// `low`, `medium`, `high` or `critical`, from the highest CVSS score
    #[schema(required)]
    pub severity: Option<String>,
    #[schema(required, schema_with = crate::rules::cvss_score)]
    pub score: Option<f64>,
    /// The OSV document (schema 1.7)
    #[schema(value_type = Object)]
    pub osv: serde_json::Value,
}

/// The body of `POST /advisories/{advisory}/withdraw`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvisoryWithdrawal {
    /// Why it is withdrawn (kept in the audit log)
    #[serde(default)]
    pub reason: String,
}
