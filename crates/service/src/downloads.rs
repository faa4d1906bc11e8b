//! Download counting without a database write per request: counts are buffered in memory
//! and flushed in one transaction every few seconds and at shutdown. A failed flush puts
//! the counts back, so none are lost.

use std::collections::HashMap;
use std::sync::Mutex;
use trove_core::{now_ms, time::day_of};
use trove_db::Db;

pub struct DownloadCounter {
    db: Db,
    /// (package_id, version_id, day) → count
    pending: Mutex<HashMap<(i64, i64, i64), i64>>,
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

    pub fn record(&self, package_id: i64, version_id: i64) {
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

        let batch: Vec<(i64, i64, i64, i64)> = {
            let mut map = self.pending.lock().expect("download buffer");
            map.drain().map(|((p, v, d), n)| (p, v, d, n)).collect()
        };
        if batch.is_empty() {
            return Ok((0, Vec::new()));
        }
        let total = batch.iter().map(|b| b.3).sum();
        let res = async {
            let mut tx = self.db.write().await?;
            trove_db::downloads::add_counts(&mut tx, &batch).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = res {
            let mut map = self.pending.lock().expect("download buffer");
            for (p, v, d, n) in batch {
                *map.entry((p, v, d)).or_default() += n;
            }
            return Err(e);
        }
        let mut packages: Vec<i64> = batch.iter().map(|b| b.0).collect();
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
            self.search.refresh_package(id).await;
        }
        Ok(total)
    }
}
