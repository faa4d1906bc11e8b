//! Native packages: publish, read, yank, deprecate, delete, owners, download.

mod delete;
mod deprecate;
mod download;
mod owners;
mod publish;
mod query;
mod yank;

pub use crate::blobs::GcReport;
pub use download::Download;
pub use owners::OwnerView;
pub use publish::PublishRequest;

use crate::{Result, ServiceError};
use trove_db::versions::Version;
use trove_db::Conn;

sub_service!(
    /// Native packages: publish, read, download, yank, deprecate, delete, owners, visibility.
    Packages,
    packages
);

pub const NATIVE: &str = "native";

/// Parses a version from a URL, 400 on bad semver.
/// The file name of a native version's archive (its `version_files` entry and the download's
/// `Content-Disposition`; migration 0009 backfilled existing versions the same way).
pub(crate) fn archive_file_name(scope: &str, name: &str, version: &str) -> String {
    format!("{scope}-{name}-{version}.tar.gz")
}

pub(crate) fn parse_version(s: &str) -> Result<semver::Version> {
    trove_core::version::parse_version(s).map_err(|m| ServiceError::bad_request("invalid_version", m))
}

/// Loads a live (not deleted) version, 404 otherwise.
pub(crate) async fn find_version(conn: &mut Conn, package_id: i64, full: &str, version: &str) -> Result<Version> {
    let v = parse_version(version)?;
    let key = trove_core::version::version_key(&v);
    trove_db::versions::find(conn, package_id, &key)
        .await?
        .filter(|v| !v.is_deleted())
        .ok_or_else(|| ServiceError::not_found(format!("version {version} of `{full}` not found")))
}

/// The version a package advertises: the highest non-yanked release, or the highest
/// non-yanked pre-release when there is no release.
pub(crate) fn latest_of(versions: &[Version]) -> Option<&Version> {
    let live = || versions.iter().filter(|v| !v.is_yanked() && !v.is_deleted());
    let parsed = |v: &&Version| semver::Version::parse(&v.version).ok();
    live()
        .filter(|v| parsed(v).is_some_and(|s| s.pre.is_empty()))
        .max_by_key(|v| parsed(v))
        .or_else(|| live().max_by_key(|v| parsed(v)))
}

/// Recomputes the package's advertised latest version after a change.
pub(crate) async fn refresh_latest(conn: &mut Conn, package_id: i64, now: i64) -> Result<()> {
    let versions = trove_db::versions::list(conn, package_id).await?;
    let latest = latest_of(&versions).map(|v| v.version.clone());
    trove_db::packages::set_latest(conn, package_id, latest.as_deref(), now).await?;
    Ok(())
}
