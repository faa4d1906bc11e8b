//! Download counting without a database write per request: counts are buffered in memory
//! and flushed in one transaction every few seconds and at shutdown. A failed flush puts
//! the counts back, so none are lost.
//!
//! Native downloads count per version per day. OCI pulls count per repository (package)
//! per day, since OCI tags are not version rows (see `Services::oci_get_manifest` for what
//! counts as a pull); both add to the package's running total, so every protocol feeds the
//! same statistics, search ranking and explore lists.

use std::collections::HashMap;
use std::sync::Mutex;
use trove_core::{now_ms, time::day_of};
use trove_db::Db;

pub struct DownloadCounter {
    db: Db,
    /// (package_id, version_id, day) → count; no version for downloads counted on the
    /// package itself (OCI pulls).
    pending: Mutex<HashMap<(i64, Option<i64>, i64), i64>>,
    /// One flush at a time, so that when `flush` returns every count recorded before the
    /// call is in the database (not still in another caller's transaction).
    flushing: tokio::sync::Mutex<()>,
}

impl DownloadCounter {
    pub fn new(db: Db) -> Self {
        DownloadCounter {
            db,
            pending: Mutex::default(),
            flushing: tokio::sync::Mutex::new(()),
        }
    }

    /// Counts a download of a version.
    pub fn record(&self, package_id: i64, version_id: i64) {
        self.add(package_id, Some(version_id));
    }

    /// Counts a download of a package that has no version rows (an OCI pull).
    pub fn record_package(&self, package_id: i64) {
        self.add(package_id, None);
    }

    fn add(&self, package_id: i64, version_id: Option<i64>) {
        let day = day_of(now_ms());
        *self
            .pending
            .lock()
            .expect("download buffer")
            .entry((package_id, version_id, day))
            .or_default() += 1;
        metrics::counter!("trove_downloads_total").increment(1);
    }

    pub fn pending(&self) -> i64 {
        self.pending.lock().expect("download buffer").values().sum()
    }

    /// Writes buffered counts; returns how many downloads were written.
    pub async fn flush(&self) -> Result<i64, trove_db::DbError> {
        Ok(self.flush_packages().await?.0)
    }

    /// Like [`DownloadCounter::flush`], also naming the packages whose counts changed.
    pub async fn flush_packages(&self) -> Result<(i64, Vec<i64>), trove_db::DbError> {
        let _one_at_a_time = self.flushing.lock().await;

        let batch: Vec<((i64, Option<i64>, i64), i64)> = {
            let mut map = self.pending.lock().expect("download buffer");
            map.drain().collect()
        };
        if batch.is_empty() {
            return Ok((0, Vec::new()));
        }
        let total = batch.iter().map(|b| b.1).sum();
        let mut versions = Vec::new();
        let mut packages_only = Vec::new();
        for &((p, v, d), n) in &batch {
            match v {
                Some(v) => versions.push((p, v, d, n)),
                None => packages_only.push((p, d, n)),
            }
        }
        let res = async {
            let mut tx = self.db.write().await?;
            trove_db::downloads::add_counts(&mut tx, &versions).await?;
            trove_db::downloads::add_package_counts(&mut tx, &packages_only).await?;
            // Counts only: caches of what they cannot change (OCI manifests) stay valid.
            tx.commit_counters().await
        }
        .await;
        if let Err(e) = res {
            let mut map = self.pending.lock().expect("download buffer");
            for (key, n) in batch {
                *map.entry(key).or_default() += n;
            }
            return Err(e);
        }
        let mut packages: Vec<i64> = batch.iter().map(|b| b.0 .0).collect();
        packages.sort_unstable();
        packages.dedup();
        Ok((total, packages))
    }
}

impl crate::Services {
    /// Writes buffered download counts and brings this node's search index up to date with
    /// them (other nodes catch up on their periodic reconcile).
    pub async fn flush_downloads(&self) -> Result<i64, trove_db::DbError> {
        let (total, packages) = self.downloads.flush_packages().await?;
        for id in packages {
            self.search_index.refresh_package(id).await;
        }
        Ok(total)
    }
}
