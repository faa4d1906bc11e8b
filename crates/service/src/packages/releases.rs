//! Reading a package with every version and its files, in the shape protocol front-ends
//! build their documents from (an npm packument, a Cargo index file, a PyPI project page),
//! and resolving one of its files for download.

use super::Download;
use crate::views::{PackageView, VersionView};
use crate::{Ctx, Result, ServiceError};
use trove_core::time::rfc3339;
use trove_core::{Digest, FileKind};
use trove_db::packages::Package;
use trove_db::version_files::VersionFile;

/// A package and its live versions, newest first.
#[derive(Debug, Clone)]
pub struct PackageReleases {
    pub package: PackageView,
    pub versions: Vec<ReleaseView>,
    /// Whether only signed-in readers may see it (decides caching headers).
    pub private: bool,
}

/// A version with what its ecosystem stored and its files.
#[derive(Debug, Clone)]
pub struct ReleaseView {
    pub version: VersionView,
    /// The dependencies as the ecosystem stored them.
    pub dependencies: serde_json::Value,
    /// Milliseconds since the epoch.
    pub created_at_ms: i64,
    pub files: Vec<FileView>,
}

/// One file of a version.
#[derive(Debug, Clone)]
pub struct FileView {
    pub filename: String,
    pub kind: FileKind,
    pub digest: String,
    pub size: i64,
    pub metadata: serde_json::Value,
    pub uploaded_at: String,
    /// Milliseconds since the epoch.
    pub uploaded_at_ms: i64,
}

impl From<&VersionFile> for FileView {
    fn from(f: &VersionFile) -> Self {
        FileView {
            filename: f.filename.clone(),
            kind: f.kind.parse().unwrap_or(FileKind::Other),
            digest: f.digest.clone(),
            size: f.size,
            metadata: serde_json::from_str(&f.metadata).unwrap_or_else(|_| serde_json::json!({})),
            uploaded_at: rfc3339(f.uploaded_at),
            uploaded_at_ms: f.uploaded_at,
        }
    }
}

impl crate::packages::Packages<'_> {
    /// The package (404 when missing or private to the caller) with every live version,
    /// newest first by the ecosystem's order, each with its files in upload order.
    pub async fn releases(&self, ctx: &Ctx, scope: &str, name: &str) -> Result<PackageReleases> {
        let mut conn = self.db.conn().await?;
        let pkg = self
            .visible_package(&mut conn, ctx, self.eco.as_str(), scope, name)
            .await?;
        self.load_releases(&mut conn, &pkg).await
    }

    /// [`Packages::releases`] of a package already found (and checked) in `conn`, which may
    /// be a transaction. Every install reads versions through here: versions quarantined
    /// until their scan passes (`[scan] quarantine`) are left out.
    pub(crate) async fn load_releases(&self, conn: &mut trove_db::Conn, pkg: &Package) -> Result<PackageReleases> {
        let quarantined = crate::scans::quarantined_ids(self, conn, pkg.id).await?;
        let mut versions = trove_db::versions::list(conn, pkg.id).await?;
        versions.retain(|v| !v.is_deleted() && !quarantined.contains(&v.id));
        super::sort_newest_first(self.eco, &mut versions);
        let files = trove_db::version_files::list_for_package(conn, pkg.id).await?;
        let versions = versions
            .iter()
            .map(|v| ReleaseView {
                version: crate::views::version_view(pkg, v),
                dependencies: serde_json::from_str(&v.dependencies).unwrap_or(serde_json::Value::Null),
                created_at_ms: v.created_at,
                files: files
                    .iter()
                    .filter(|f| f.version_id == v.id)
                    .map(FileView::from)
                    .collect(),
            })
            .collect();
        Ok(PackageReleases {
            package: crate::views::package_view(pkg),
            versions,
            private: pkg.is_private(),
        })
    }

    /// Resolves a file of a live version by its name for download (yanked versions stay
    /// downloadable); 404 when the package is missing or private to the caller, or the
    /// version is quarantined.
    pub async fn prepare_file(&self, ctx: &Ctx, scope: &str, name: &str, filename: &str) -> Result<Download> {
        let mut conn = self.db.conn().await?;
        let pkg = self
            .visible_package(&mut conn, ctx, self.eco.as_str(), scope, name)
            .await?;
        let quarantined = crate::scans::quarantined_ids(self, &mut conn, pkg.id).await?;
        let f = trove_db::version_files::find_in_package(&mut conn, pkg.id, filename)
            .await?
            .filter(|f| !quarantined.contains(&f.version_id))
            .ok_or_else(|| ServiceError::not_found(format!("`{}` has no file `{filename}`", pkg.full_name())))?;
        let digest = Digest::parse(&f.digest).map_err(|e| ServiceError::internal(e.to_string()))?;
        Ok(Download {
            digest,
            size: f.size,
            private: pkg.is_private(),
            file_name: f.filename,
            package_id: pkg.id,
            version_id: f.version_id,
        })
    }
}
