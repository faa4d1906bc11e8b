//! What the API shows of packages and versions.

use serde::Serialize;
use std::collections::BTreeMap;
use trove_core::time::rfc3339;
use trove_db::packages::Package;
use trove_db::versions::Version;

#[derive(Debug, Clone, Serialize)]
pub struct PackageView {
    pub scope: String,
    pub name: String,
    pub full_name: String,
    pub ecosystem: trove_core::Ecosystem,
    pub kind: trove_core::PackageKind,
    pub visibility: trove_core::Visibility,
    pub description: Option<String>,
    pub license: Option<String>,
    pub keywords: Vec<String>,
    pub categories: Vec<String>,
    pub homepage: Option<String>,
    pub repository: Option<String>,
    pub readme: Option<String>,
    pub latest_version: Option<String>,
    pub downloads: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Package> for PackageView {
    fn from(p: &Package) -> Self {
        PackageView {
            scope: p.scope.clone(),
            name: p.name.clone(),
            full_name: p.full_name(),
            ecosystem: p.ecosystem,
            kind: p.kind,
            visibility: p.visibility,
            description: p.description.clone(),
            license: p.license.clone(),
            keywords: p.keywords.clone(),
            categories: p.categories.clone(),
            homepage: p.homepage.clone(),
            repository: p.repository.clone(),
            readme: p.readme.clone(),
            latest_version: p.latest_version.clone(),
            downloads: p.downloads,
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    pub package: String,
    pub version: String,
    pub digest: String,
    pub size: i64,
    pub dependencies: BTreeMap<String, String>,
    pub yanked: bool,
    pub yanked_at: Option<String>,
    pub deprecated: Option<String>,
    pub publisher: Option<String>,
    pub downloads: i64,
    pub created_at: String,
    pub download_url: String,
    pub manifest: serde_json::Value,
}

impl VersionView {
    pub fn new(p: &Package, v: &Version) -> Self {
        let full = p.full_name();
        VersionView {
            download_url: format!("/api/v1/packages/{full}/versions/{}/download", v.version),
            package: full,
            version: v.version.clone(),
            digest: v.digest.clone(),
            size: v.size,
            dependencies: serde_json::from_str(&v.dependencies).unwrap_or_default(),
            yanked: v.is_yanked(),
            yanked_at: v.yanked_at.map(rfc3339),
            deprecated: v.deprecated.clone(),
            publisher: v.publisher.clone(),
            downloads: v.downloads,
            created_at: rfc3339(v.created_at),
            manifest: serde_json::from_str(&v.manifest).unwrap_or_default(),
        }
    }
}
