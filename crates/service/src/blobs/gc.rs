//! Garbage collection of the blob store: bytes that no native version, no OCI content and
//! no upload in progress references are deleted after a grace period (through
//! [`Services::reclaim_blob`], so a concurrent writer never loses its bytes), and what
//! interrupted uploads left behind is swept.

use crate::Result;
use trove_core::{now_ms, Digest};
use trove_db::Conn;

/// What a garbage-collection pass did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GcReport {
    pub scanned: u64,
    pub deleted: u64,
    pub kept_recent: u64,
    pub bytes_freed: u64,
    /// Leftovers of interrupted uploads removed (staging and partial files).
    pub leftover_files: u64,
    pub leftover_bytes: u64,
}

impl crate::blobs::Blobs<'_> {
    /// Deletes stored blobs that no live version and no OCI content references. Blobs younger
    /// than `min_age_ms` are kept: a publish stores its archive before committing the version
    /// that uses it. OCI blobs that no manifest references leave their repositories first (after
    /// the same grace), and bytes a concurrent OCI push holds are never deleted.
    pub async fn gc_blobs(&self, min_age_ms: i64) -> Result<GcReport> {
        let mut report = GcReport::default();
        let now = now_ms();
        self.oci().prune_links(min_age_ms).await?;
        for (digest, modified) in self.store.list().await? {
            report.scanned += 1;
            let mut conn = self.db.conn().await?;
            if trove_db::versions::digest_in_use(&mut conn, &digest.to_string()).await?
                || self.storage_in_use(&mut conn, &digest).await?
            {
                continue;
            }
            if now - modified < min_age_ms {
                report.kept_recent += 1;
                continue;
            }
            let size = self.store.size(&digest).await?.unwrap_or(0);
            drop(conn);
            // Re-checks every reference under a mark that concurrent pushes respect.
            if !self.reclaim_blob(&digest).await? {
                continue;
            }
            report.deleted += 1;
            report.bytes_freed += size;
        }
        let leftovers = self.sweep_upload_leftovers().await?;
        report.leftover_files = leftovers.files;
        report.leftover_bytes = leftovers.bytes;
        Ok(report)
    }

    /// Removes leftovers of interrupted uploads older than the configured age (at start and
    /// with every garbage collection): local staging and partial files, and on S3 the
    /// objects under `uploads/` no upload in progress needs.
    pub async fn sweep_upload_leftovers(&self) -> Result<trove_storage::SweepReport> {
        let min_age_ms = self.config.stale_upload_ms.max(0);
        let min_age = std::time::Duration::from_millis(min_age_ms as u64);
        let mut report = self.store.sweep_leftovers(min_age).await?;
        let objects = self.oci().sweep_multipart_leftovers(min_age_ms).await?;
        report.files += objects.files;
        report.bytes += objects.bytes;
        Ok(report)
    }
}

impl crate::blobs::Blobs<'_> {
    /// Whether OCI content uses these stored bytes (a quick check before
    /// [`Services::reclaim_blob`], which checks again under its mark).
    pub async fn storage_in_use(&self, conn: &mut Conn, storage: &Digest) -> Result<bool> {
        Ok(trove_db::oci_gc::storage_in_use(conn, &storage.to_string(), now_ms()).await?)
    }
}
