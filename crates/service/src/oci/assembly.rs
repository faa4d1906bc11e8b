//! The running state of chunked uploads on the node that took their last chunk: the upload's
//! bytes so far joined in one staging file, with the SHA-256 state over them, valid at one
//! offset (started at the second chunk, from the stored first one, so an upload sent in one
//! piece is never copied). A chunk appended here at that offset moves it forward; the closing `PUT` then only
//! finishes the hash and stores the joined file (a link on the filesystem store), whatever the
//! blob's size. A chunk taken by another node, a restart or an idle entry leaves no state,
//! and the upload is joined from its stored chunks and hashed then (`oci_assemble`): correct
//! first, fast on the common path. The state is memory only: a crash loses it, never a byte
//! of an acknowledged chunk (each chunk is stored before it is acknowledged).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use trove_storage::{BlobStore, StagedBlob};

/// Uploads followed at once on one node; more fall back to hashing at the end.
const MAX_ASSEMBLIES: usize = 64;
/// An entry idle longer is dropped (the leftovers sweep may remove its file).
const MAX_IDLE: Duration = Duration::from_secs(600);

struct Assembly {
    offset: u64,
    staged: StagedBlob,
    touched: Instant,
}

#[derive(Default)]
pub(crate) struct Assemblies(Mutex<HashMap<String, Assembly>>);

impl Assemblies {
    /// Takes the upload's joined bytes if they end exactly at `offset` (dropping stale ones).
    /// Idle entries (uploads finished on another node, or abandoned) go on the way, so their
    /// files do not outlive `max_idle`.
    pub(crate) fn take(&self, id: &str, offset: u64, max_idle: Duration) -> Option<StagedBlob> {
        let max_idle = max_idle.min(MAX_IDLE);
        let (found, idle) = {
            let mut map = self.0.lock().expect("assemblies");
            let found = map.remove(id);
            let idle: Vec<String> = map
                .iter()
                .filter(|(_, a)| a.touched.elapsed() >= max_idle)
                .map(|(k, _)| k.clone())
                .collect();
            let idle: Vec<Assembly> = idle.iter().filter_map(|k| map.remove(k)).collect();
            (found, idle)
        };
        drop(idle); // their files are removed outside the lock
        let a = found?;
        (a.offset == offset && a.touched.elapsed() < max_idle).then_some(a.staged)
    }

    /// Whether the upload has a joined file here (at whatever offset).
    pub(crate) fn has(&self, id: &str) -> bool {
        self.0.lock().expect("assemblies").contains_key(id)
    }

    /// Forgets an upload (cancelled or finished elsewhere); its staging file goes with it.
    pub(crate) fn forget(&self, id: &str) {
        let gone = self.0.lock().expect("assemblies").remove(id);
        drop(gone);
    }

    fn put(&self, id: &str, offset: u64, staged: StagedBlob) {
        let mut map = self.0.lock().expect("assemblies");
        if map.len() >= MAX_ASSEMBLIES {
            map.retain(|_, a| a.touched.elapsed() < MAX_IDLE);
            if map.len() >= MAX_ASSEMBLIES {
                // The least recently used upload falls back to hashing at its end.
                if let Some(oldest) = map.iter().min_by_key(|(_, a)| a.touched).map(|(k, _)| k.clone()) {
                    map.remove(&oldest);
                }
            }
        }
        map.insert(
            id.to_string(),
            Assembly {
                offset,
                staged,
                touched: Instant::now(),
            },
        );
    }

    /// Follows a chunk the upload's row now holds at `start` (> 0): appends its bytes to the
    /// joined file when that file ends at `start`. With no joined file, `first` (the upload's
    /// one earlier chunk, exactly `start` bytes, as stored) starts one: an upload sent in one
    /// piece is never copied. Best effort: any failure only drops the state.
    pub(crate) async fn follow(
        &self,
        store: &BlobStore,
        id: &str,
        start: u64,
        chunk: &StagedBlob,
        first: Option<&trove_core::Digest>,
        max_idle: Duration,
    ) {
        let joined = match self.take(id, start, max_idle) {
            Some(s) => Some(s),
            None => match first {
                Some(d) => join_first(store, d, start).await,
                None => None,
            },
        };
        let Some(mut joined) = joined else {
            return;
        };
        let appended = async {
            let mut f = tokio::fs::File::open(chunk.path()).await?;
            let mut buf = vec![0u8; 1024 * 1024];
            loop {
                let n = f.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                joined.write(&buf[..n], u64::MAX).await.map_err(std::io::Error::other)?;
            }
            // On disk as it goes, so that the closing PUT's flush has nothing left to write.
            joined.sync().await.map_err(std::io::Error::other)
        }
        .await;
        match appended {
            Ok(()) => self.put(id, start + chunk.size(), joined),
            Err(e) => tracing::debug!(upload = id, error = %e, "dropped a chunked upload's running state"),
        }
    }
}

/// A joined file holding the stored chunk `first` (`size` bytes), hashed.
async fn join_first(store: &BlobStore, first: &trove_core::Digest, size: u64) -> Option<StagedBlob> {
    use futures::StreamExt;
    let mut joined = store.stage_join().await.ok()?;
    let mut read = store.get(first, None).await.ok()?;
    if read.size != size {
        return None;
    }
    while let Some(bytes) = read.stream.next().await {
        joined.write(&bytes.ok()?, u64::MAX).await.ok()?;
    }
    Some(joined)
}
