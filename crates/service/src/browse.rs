//! The files inside a version's archive, for the web UI's file browser and version diffs:
//! the package is found with the access rules every read uses (a private package the caller
//! may not read is missing), the stored archive read back from the blob store and listed by
//! `trove_tarball::browse` under the upload limits. Listings (with the contents of small
//! files) are kept per node by blob digest (`archive_cache`): browsing a version again, or
//! diffing it, does not read and unpack its archive again.

use crate::packages::FileView;
use crate::views::{PackageView, VersionView};
use crate::web_queries::Pages;
use crate::{Ctx, ErrorKind, Result, ServiceError};
use std::sync::Arc;
use trove_core::Digest;
pub use trove_tarball::browse::{Container, Member, MemberKind};

/// Largest stored archive the browser opens (bigger ones are listed as too large to browse).
pub const MAX_BROWSE_ARCHIVE: i64 = 64 << 20;

/// A version's archive and its members.
#[derive(Debug, Clone)]
pub struct VersionArchive {
    pub package: PackageView,
    pub version: VersionView,
    /// Every live version of the package, newest first.
    pub versions: Vec<String>,
    /// The version's stored archives (PyPI: sdist and wheels; not the metadata files).
    pub files: Vec<FileView>,
    /// The stored file listed in `members`.
    pub archive: FileView,
    /// Its members in archive order. Files up to `archive_cache::CACHED_FILE_BYTES` carry
    /// their whole contents in `head` (within a budget per archive), the one asked for with
    /// `whole` too; the others none.
    pub members: Arc<[Member]>,
}

/// Whether `member` is `path`, or `path` inside the archive's single top-level directory
/// (`package/README.md` for `README.md`).
fn is_path(member: &Member, path: &str) -> bool {
    member.path == path || member.path.split_once('/').is_some_and(|(_, rest)| rest == path)
}

impl Pages<'_> {
    /// The members of one stored file of a version (`archive` names it; by default the sdist
    /// of a PyPI release, the one archive of the others), with the whole contents of small
    /// files and, when `whole` is `(path, max)`, of the file at `path` (or at `path` inside
    /// the single top-level directory) if it is at most `max` bytes. 404 when the package is
    /// missing or private to the caller, the version missing or deleted, the file missing, or
    /// the package an OCI repository.
    pub async fn version_archive(
        &self,
        ctx: &Ctx,
        scope: &str,
        name: &str,
        version: &str,
        archive: Option<&str>,
        whole: Option<(&str, u64)>,
    ) -> Result<VersionArchive> {
        let mut conn = self.db.conn().await?;
        let pkg = self.visible_package_any(&mut conn, ctx, scope, name).await?;
        if pkg.ecosystem == crate::oci::ECOSYSTEM {
            return Err(ServiceError::not_found(format!(
                "`{}` is an OCI repository: its tags hold images, not files",
                pkg.full_name()
            )));
        }
        let mut versions = trove_db::versions::list(&mut conn, pkg.id).await?;
        versions.retain(|v| !v.is_deleted());
        crate::packages::sort_newest_first(pkg.ecosystem, &mut versions);
        let v = versions
            .iter()
            .find(|v| v.version == version)
            .ok_or_else(|| ServiceError::not_found(format!("`{}` has no version `{version}`", pkg.full_name())))?;
        let files: Vec<FileView> = trove_db::version_files::list(&mut conn, v.id)
            .await?
            .iter()
            .map(FileView::from)
            .filter(|f| f.kind != trove_core::FileKind::Other)
            .collect();
        drop(conn);
        let chosen = match archive {
            Some(a) => files.iter().find(|f| f.filename == a),
            None => files
                .iter()
                .find(|f| f.kind == trove_core::FileKind::Sdist)
                .or_else(|| files.first()),
        }
        .ok_or_else(|| ServiceError::not_found(format!("{} {version} has no such file", pkg.full_name())))?
        .clone();
        if chosen.size > MAX_BROWSE_ARCHIVE {
            return Err(ServiceError::new(
                ErrorKind::TooLarge,
                "archive_too_large",
                format!(
                    "`{}` is larger than {} MiB: download it to see its files",
                    chosen.filename,
                    MAX_BROWSE_ARCHIVE >> 20
                ),
            ));
        }
        let digest = Digest::parse(&chosen.digest).map_err(|e| ServiceError::internal(e.to_string()))?;
        let container = Container::of_filename(&chosen.filename);
        let key = format!("{digest} {container:?}");
        let mut members = match self.archive_cache.get(&key) {
            Some(members) => {
                metrics::counter!("trove_archive_cache_total", "result" => "hit").increment(1);
                members
            }
            None => {
                metrics::counter!("trove_archive_cache_total", "result" => "miss").increment(1);
                let mut members = self
                    .read_members(&digest, container, crate::archive_cache::keeper())
                    .await?;
                crate::archive_cache::whole_only(&mut members);
                let members: Arc<[Member]> = members.into();
                self.archive_cache.insert(key, members.clone());
                members
            }
        };
        // A file the cached listing holds no contents of (too large for it), wanted whole:
        // read again for it alone.
        if let Some((path, max)) = whole {
            let missing = members
                .iter()
                .find(|m| m.kind == MemberKind::File && is_path(m, path))
                .filter(|m| m.size <= max && (m.head.len() as u64) < m.size)
                .map(|m| m.path.clone());
            if let Some(wanted) = missing {
                let keep = move |p: &str, _: u64| if p == wanted { max } else { 0 };
                members = self.read_members(&digest, container, keep).await?.into();
            }
        }
        Ok(VersionArchive {
            package: crate::views::package_view(&pkg),
            version: crate::views::version_view(&pkg, v),
            versions: versions.iter().map(|v| v.version.clone()).collect(),
            files,
            archive: chosen,
            members,
        })
    }

    /// Reads a stored archive and lists its members, keeping of each file `keep(path, size)`
    /// bytes.
    async fn read_members(
        &self,
        digest: &Digest,
        container: Container,
        keep: impl FnMut(&str, u64) -> u64 + Send + 'static,
    ) -> Result<Vec<Member>> {
        let bytes = self.store.get_bytes(digest).await?;
        let limits = self.config.archive_limits.clone();
        tokio::task::spawn_blocking(move || trove_tarball::browse::members(&bytes, container, &limits, keep))
            .await
            .map_err(|e| ServiceError::internal(e.to_string()))?
            .map_err(|e| ServiceError::unprocessable(e.code(), format!("the stored archive cannot be read: {e}")))
    }
}
