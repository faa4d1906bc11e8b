//! Holding, storing and reclaiming bytes in the shared blob store without racing the garbage
//! collector on any node: a writer holds the digest (a row in the database) before storing
//! and until its reference is committed; the collector marks the same row before deleting,
//! so the database serializes them. See `trove_db::oci_gc` for the protocol.

use crate::{ErrorKind, Result, ServiceError};
use bytes::Bytes;
use std::time::Duration;
use trove_core::{now_ms, Digest};
use trove_storage::StagedBlob;

/// A push holds bytes at most this long (a crashed push cannot block collection longer).
const HOLD_MS: i64 = 6 * 3600 * 1000;
/// A collector's mark older than this belongs to a crashed collector.
const STALE_GC_MS: i64 = 10 * 60 * 1000;
/// How long a push waits for a collector deleting the same bytes.
const WAIT_FOR_GC: Duration = Duration::from_secs(60);

impl crate::blobs::Blobs<'_> {
    /// Holds `storage` against garbage collection until [`Services::release_blob`].
    pub(crate) async fn hold_blob(&self, storage: &Digest) -> Result<()> {
        let key = storage.to_string();
        let started = tokio::time::Instant::now();
        loop {
            let now = now_ms();
            let mut tx = self.db.write().await?;
            let held = trove_db::oci_gc::hold(&mut tx, &key, now + HOLD_MS, now - STALE_GC_MS).await?;
            tx.commit().await?;
            if held {
                return Ok(());
            }
            if started.elapsed() > WAIT_FOR_GC {
                return Err(ServiceError::new(
                    ErrorKind::Unavailable,
                    "gc_in_progress",
                    "the blob is being garbage-collected; retry",
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Releases a hold (best effort: an unreleased hold expires by itself).
    pub(crate) async fn release_blob(&self, storage: &Digest) {
        let res = async {
            let mut tx = self.db.write().await?;
            trove_db::oci_gc::release(&mut tx, &storage.to_string()).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = res {
            tracing::warn!(error = %e, %storage, "could not release a blob hold; it will expire");
        }
    }

    /// Stores a finished staged blob under its sha256 (the caller holds it).
    pub(crate) async fn store_staged(&self, staged: &StagedBlob) -> Result<()> {
        self.store.commit(staged).await?;
        metrics::counter!("trove_storage_bytes_written_total").increment(staged.size());
        Ok(())
    }

    /// Stores small bytes (manifests) under their sha256 (the caller holds them).
    pub(crate) async fn store_bytes(&self, bytes: Bytes) -> Result<Digest> {
        let n = bytes.len() as u64;
        let d = self.store.put_bytes(bytes).await?;
        metrics::counter!("trove_storage_bytes_written_total").increment(n);
        Ok(d)
    }

    /// Deletes stored bytes when nothing references them any more: no native version, no
    /// OCI blob visible in a repository, no manifest, no upload part and no push holding
    /// them. Returns whether they were deleted. Safe against concurrent pushes on any node.
    pub async fn reclaim_blob(&self, storage: &Digest) -> Result<bool> {
        let key = storage.to_string();
        let since = now_ms();
        {
            let mut tx = self.db.write().await?;
            let marked = trove_db::oci_gc::mark_for_gc(&mut tx, &key, since, since - STALE_GC_MS).await?;
            tx.commit().await?;
            if !marked {
                return Ok(false);
            }
        }
        let result = async {
            let mut conn = self.db.conn().await?;
            if trove_db::versions::digest_in_use(&mut conn, &key).await?
                || trove_db::oci_gc::storage_in_use(&mut conn, &key, now_ms()).await?
            {
                return Ok(false);
            }
            drop(conn);
            let mut tx = self.db.write().await?;
            trove_db::oci_gc::forget_unlinked(&mut tx, &key).await?;
            tx.commit().await?;
            self.store.delete(storage).await?;
            Ok(true)
        }
        .await;
        let unmark = async {
            let mut tx = self.db.write().await?;
            trove_db::oci_gc::unmark(&mut tx, &key, since).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = unmark {
            tracing::warn!(error = %e, %storage, "could not clear a gc mark; it will go stale");
        }
        result
    }
}
