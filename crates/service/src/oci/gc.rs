//! Online garbage collection of OCI content. Blobs stay visible in a repository while a
//! manifest there references them; links nothing references are pruned after a grace period,
//! and the bytes of the shared store go when nothing at all uses them (see
//! `Services::gc_blobs`, which asks [`Services::storage_in_use`] and reclaims through
//! [`Services::reclaim_blob`], so a concurrent push never loses its bytes).

use crate::Result;
use trove_core::now_ms;

impl crate::oci::Oci<'_> {
    /// Removes blobs from repositories when no manifest there references them and they were
    /// pushed more than `min_age_ms` ago (a push uploads its blobs before the manifest that
    /// uses them). Returns how many links went.
    pub async fn prune_links(&self, min_age_ms: i64) -> Result<u64> {
        let before = now_ms() - min_age_ms;
        let candidates = {
            let mut conn = self.db.conn().await?;
            trove_db::oci_blobs::unreferenced_links(&mut conn, before, 10_000).await?
        };
        let mut pruned = 0;
        for (package_id, digest) in candidates {
            let mut tx = self.db.write().await?;
            if trove_db::oci_blobs::prune_link(&mut tx, package_id, &digest, before).await? {
                pruned += 1;
            }
            tx.commit().await?;
        }
        if pruned > 0 {
            tracing::info!(pruned, "unreferenced oci blobs removed from their repositories");
        }
        Ok(pruned)
    }
}
