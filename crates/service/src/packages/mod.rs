//! Packages of every ecosystem: publish, read, yank, deprecate, delete, owners, download.

mod delete;
pub(crate) mod deprecate;
mod download;
pub(crate) mod owners;
pub(crate) mod publish;
mod query;
pub(crate) mod release;
mod releases;
mod yank;

pub use crate::blobs::GcReport;
pub use download::Download;
pub use owners::{OwnerAccount, OwnerView};
pub use publish::PublishRequest;
pub use release::{NewRelease, NewReleaseFile, ReleaseMeta};
pub use releases::{FileView, PackageReleases, ReleaseView};

use crate::{Result, ServiceError};
use trove_core::version::EcoVersion;
use trove_core::Ecosystem;
use trove_db::versions::Version;
use trove_db::Conn;

/// Packages of one ecosystem: publish, read, download, yank, deprecate, delete, owners,
/// visibility. `svc.packages()` is the native ecosystem; `svc.packages().of(eco)` any other
/// one (npm, Cargo and PyPI front-ends), whose versions are parsed and ordered by that
/// ecosystem's rules (`EcoVersion`).
#[derive(Clone, Copy)]
pub struct Packages<'a> {
    svc: &'a crate::Services,
    eco: Ecosystem,
}

impl std::ops::Deref for Packages<'_> {
    type Target = crate::Services;
    fn deref(&self) -> &crate::Services {
        self.svc
    }
}

impl crate::Services {
    /// Native packages; `.of(eco)` for another ecosystem's.
    pub fn packages(&self) -> Packages<'_> {
        Packages {
            svc: self,
            eco: Ecosystem::Native,
        }
    }
}

impl<'a> Packages<'a> {
    /// The same use cases over the packages of `eco`.
    pub fn of(self, eco: Ecosystem) -> Packages<'a> {
        Packages { eco, ..self }
    }

    /// The ecosystem these packages belong to.
    pub fn ecosystem(&self) -> Ecosystem {
        self.eco
    }

    /// The package whose versions a yank, deprecation or deletion acts on, and these use
    /// cases over its ecosystem. Through the native API and the web UI (`packages()`), a
    /// package of any ecosystem with versions, native first (PyPI's protocol has no yank:
    /// its releases are yanked here), but not an OCI repository, whose tags the registry
    /// API manages; otherwise a package of this ecosystem. 404 when the caller sees none.
    pub(crate) async fn versioned_package(
        self,
        conn: &mut Conn,
        ctx: &crate::Ctx,
        scope: &str,
        name: &str,
    ) -> Result<(trove_db::packages::Package, Packages<'a>)> {
        if self.eco != Ecosystem::Native {
            let pkg = self.visible_package(conn, ctx, self.eco.as_str(), scope, name).await?;
            return Ok((pkg, self));
        }
        let mut missing = None;
        for eco in Ecosystem::ALL.iter().filter(|e| **e != Ecosystem::Oci) {
            match self.visible_package(conn, ctx, eco.as_str(), scope, name).await {
                Err(e) if e.kind == crate::ErrorKind::NotFound => {
                    missing.get_or_insert(e);
                }
                Ok(pkg) => return Ok((pkg, self.of(*eco))),
                Err(e) => return Err(e),
            }
        }
        Err(missing.unwrap_or_else(|| ServiceError::not_found(format!("package `{scope}/{name}` not found"))))
    }

    /// A version number as this ecosystem reads it, 400 when it is not one.
    pub(crate) fn parse_version(&self, s: &str) -> Result<EcoVersion> {
        EcoVersion::parse(self.eco, s).map_err(|m| ServiceError::bad_request("invalid_version", m))
    }

    /// Loads a live (not deleted) version, 404 otherwise.
    pub(crate) async fn find_version(
        &self,
        conn: &mut Conn,
        package_id: i64,
        full: &str,
        version: &str,
    ) -> Result<Version> {
        let key = self.parse_version(version)?.key();
        trove_db::versions::find(conn, package_id, &key)
            .await?
            .filter(|v| !v.is_deleted())
            .ok_or_else(|| ServiceError::not_found(format!("version {version} of `{full}` not found")))
    }
}

pub const NATIVE: &str = "native";

/// The file name of a native version's archive (its `version_files` entry and the download's
/// `Content-Disposition`; migration 0009 backfilled existing versions the same way).
pub(crate) fn archive_file_name(scope: &str, name: &str, version: &str) -> String {
    format!("{scope}-{name}-{version}.tar.gz")
}

/// The version a package advertises: the highest non-yanked release, or the highest
/// non-yanked pre-release when there is no release.
pub(crate) fn latest_of(eco: Ecosystem, versions: &[Version]) -> Option<&Version> {
    let live: Vec<(EcoVersion, &Version)> = versions
        .iter()
        .filter(|v| !v.is_yanked() && !v.is_deleted())
        .filter_map(|v| Some((EcoVersion::parse(eco, &v.version).ok()?, v)))
        .collect();
    let highest = |pre: bool| {
        live.iter()
            .filter(|(e, _)| pre || !e.is_prerelease())
            .max_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal))
            .map(|(_, v)| *v)
    };
    highest(false).or_else(|| highest(true))
}

/// Versions newest first by the ecosystem's order (unparsable ones last).
pub(crate) fn sort_newest_first(eco: Ecosystem, versions: &mut [Version]) {
    versions.sort_by_cached_key(|v| std::cmp::Reverse(OrderedVersion(EcoVersion::parse(eco, &v.version).ok())));
}

/// `EcoVersion` with a total order for sorting (versions of one package share a scheme).
#[derive(PartialEq, Eq)]
struct OrderedVersion(Option<EcoVersion>);

impl PartialOrd for OrderedVersion {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedVersion {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
            (a, b) => a.is_some().cmp(&b.is_some()),
        }
    }
}

/// Recomputes the package's advertised latest version after a change; returns it.
pub(crate) async fn refresh_latest(
    conn: &mut Conn,
    eco: Ecosystem,
    package_id: i64,
    now: i64,
) -> Result<Option<String>> {
    let latest = settle_latest(conn, eco, package_id, now).await?;
    trove_db::packages::set_latest(conn, package_id, latest.as_deref(), now).await?;
    Ok(latest)
}

/// The dist-tag that names a package's advertised version.
pub const LATEST_TAG: &str = "latest";

/// The version a package advertises: its `latest` dist-tag when it uses dist-tags (npm), else
/// [`latest_of`]. Dist-tags of versions that are gone (deleted) are dropped first, and a
/// package that uses dist-tags but lost its `latest` gets one again ([`latest_of`]), so
/// `latest` never points nowhere while a version lives.
pub(crate) async fn settle_latest(
    conn: &mut Conn,
    eco: Ecosystem,
    package_id: i64,
    now: i64,
) -> Result<Option<String>> {
    let versions = trove_db::versions::list(conn, package_id).await?;
    let tags = trove_db::dist_tags::list(conn, package_id).await?;
    if tags.is_empty() {
        return Ok(latest_of(eco, &versions).map(|v| v.version.clone()));
    }
    let mut latest = None;
    for t in &tags {
        if versions.iter().any(|v| v.id == t.version_id && !v.is_deleted()) {
            if t.tag == LATEST_TAG {
                latest = Some(t.version.clone());
            }
        } else {
            trove_db::dist_tags::remove(conn, package_id, &t.tag).await?;
        }
    }
    if latest.is_none() {
        if let Some(v) = latest_of(eco, &versions) {
            trove_db::dist_tags::set(conn, package_id, LATEST_TAG, v.id, now).await?;
            latest = Some(v.version.clone());
        }
    }
    Ok(latest)
}
