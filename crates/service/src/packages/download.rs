use crate::{Ctx, Result, ServiceError};
use std::ops::Range;
use trove_core::Digest;

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
    /// Resolves a version's archive for download (yanked versions stay downloadable).
    pub async fn prepare_download(&self, ctx: &Ctx, scope: &str, name: &str, version: &str) -> Result<Download> {
        let mut conn = self.db.conn().await?;
        let pkg = self
            .visible_package(&mut conn, ctx, self.eco.as_str(), scope, name)
            .await?;
        let v = self.find_version(&mut conn, pkg.id, &pkg.full_name(), version).await?;
        let digest = Digest::parse(&v.digest).map_err(|e| ServiceError::internal(e.to_string()))?;
        Ok(Download {
            digest,
            size: v.size,
            private: pkg.is_private(),
            file_name: super::archive_file_name(&pkg.scope, &pkg.name, &v.version),
            package_id: pkg.id,
            version_id: v.id,
        })
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
