//! A short-lived, per-node cache of rendered index files for anonymous readers of public
//! registries, the hottest read (cargo asks for every crate of a graph on each resolution).
//!
//! As the service's package cache: an entry is used only while no write transaction of this
//! process has committed since it was filled (a node always reads its own writes: a new
//! version is in the index as soon as publish answers) and for at most `TTL` (a change made
//! on another node shows within that time). Only public crates of registries that do not
//! require a token are cached; misses are not.

use bytes::Bytes;
use std::sync::Arc;
use trove_service::package_cache::GenerationCache;

const MAX_ENTRIES: usize = 20_000;

/// An index file as served.
#[derive(Debug)]
pub struct IndexFile {
    pub body: Bytes,
    pub etag: String,
    pub modified_ms: i64,
}

/// Index files by (lowercase scope, path).
pub struct IndexCache(GenerationCache<(String, String), Arc<IndexFile>>);

impl Default for IndexCache {
    fn default() -> Self {
        IndexCache(GenerationCache::new(MAX_ENTRIES))
    }
}

impl IndexCache {
    pub fn get(&self, scope: &str, path: &str, generation: u64) -> Option<Arc<IndexFile>> {
        self.0.get(&(scope.to_ascii_lowercase(), path.to_string()), generation)
    }

    pub fn put(&self, scope: &str, path: &str, generation: u64, file: Arc<IndexFile>) {
        self.0
            .put((scope.to_ascii_lowercase(), path.to_string()), generation, file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_end_with_a_write() {
        let c = IndexCache::default();
        let f = Arc::new(IndexFile {
            body: Bytes::from_static(b"{}\n"),
            etag: "\"x\"".into(),
            modified_ms: 0,
        });
        c.put("Alice", "3/f/foo", 7, f);
        assert!(c.get("alice", "3/f/foo", 7).is_some());
        assert!(c.get("alice", "3/f/foo", 8).is_none());
        assert!(c.get("alice", "3/f/bar", 7).is_none());
    }
}
