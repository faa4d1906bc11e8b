use crate::{Ctx, Result, ServiceError};
use std::ops::Range;
use trove_core::{Digest, Ecosystem};

/// What a download handler needs to answer: the blob's identity, and whether it is private
/// (which decides the caching headers).
#[derive(Debug)]
pub struct Download {
    pub digest: Digest,
    pub size: i64,
    pub private: bool,
    pub file_name: String,
    pub(crate) package_id: i64,
    pub(crate) version_id: i64,
}

impl crate::packages::Packages<'_> {
    /// Resolves a version's primary file for download (yanked versions stay downloadable):
    /// a native archive, an npm tarball, a `.crate`, a PyPI release's first file. On the
    /// native packages (`svc.packages()`) the package is found by name whatever its
    /// ecosystem, as the native API shows it.
    pub async fn prepare_download(&self, ctx: &Ctx, scope: &str, name: &str, version: &str) -> Result<Download> {
        let mut conn = self.db.conn().await?;
        let pkg = if self.eco == Ecosystem::Native {
            self.visible_package_any(&mut conn, ctx, scope, name).await?
        } else {
            self.visible_package(&mut conn, ctx, self.eco.as_str(), scope, name)
                .await?
        };
        if pkg.ecosystem == Ecosystem::Oci {
            // Tags are pulled with /v2, not downloaded here.
            return Err(ServiceError::not_found(format!(
                "version {version} of `{}` not found",
                pkg.full_name()
            )));
        }
        let v = self
            .of(pkg.ecosystem)
            .find_version(&mut conn, pkg.id, &pkg.full_name(), version)
            .await?;
        // Quarantined until its scan passes: not offered to installs, whoever asks.
        if crate::scans::quarantined_ids(self, &mut conn, pkg.id)
            .await?
            .contains(&v.id)
        {
            return Err(ServiceError::not_found(format!(
                "version {version} of `{}` not found",
                pkg.full_name()
            )));
        }
        let digest = Digest::parse(&v.digest).map_err(|e| ServiceError::internal(e.to_string()))?;
        let file_name = match pkg.ecosystem {
            Ecosystem::Native => super::archive_file_name(&pkg.scope, &pkg.name, &v.version),
            _ => trove_db::version_files::list(&mut conn, v.id)
                .await?
                .into_iter()
                .find(|f| f.digest == v.digest)
                .map(|f| f.filename)
                .unwrap_or_else(|| super::archive_file_name(&pkg.scope, &pkg.name, &v.version)),
        };
        Ok(Download {
            digest,
            size: v.size,
            private: pkg.is_private(),
            file_name,
            package_id: pkg.id,
            version_id: v.id,
        })
    }

    /// A short-lived presigned URL of the archive on the S3 server, when `[storage] redirect`
    /// is on (the download counts then, as [`Self::open_download`] counts it); `None`: serve
    /// the bytes.
    pub async fn redirect_download(&self, d: &Download, count: bool) -> Result<Option<String>> {
        let url = self.store.redirect_url(&d.digest).await?;
        if url.is_some() && count {
            self.downloads.record(d.package_id, d.version_id);
        }
        Ok(url)
    }

    /// Opens the archive stream (optionally a byte range) and counts the download.
    pub async fn open_download(
        &self,
        d: &Download,
        range: Option<Range<u64>>,
        count: bool,
    ) -> Result<trove_storage::BlobRead> {
        let read = self.store.get(&d.digest, range).await?;
        if count {
            self.downloads.record(d.package_id, d.version_id);
        }
        Ok(read)
    }
}
