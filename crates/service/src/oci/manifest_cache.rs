//! Manifests from memory: per node, a resolved reference (tag or digest) of a repository →
//! the repository row (with its visibility), the manifest's digest, media type and exact
//! bytes. Entries follow `package_cache::GenerationCache`, keyed on the database's content
//! generation (`Db::content_generation`): used only while no write of this node has committed
//! since they were filled — writes that only add to counters (the periodic download-count
//! flush) do not count, since they cannot change a manifest — and for at most a second, so a
//! tag re-pushed or deleted on another node shows within that time. Large manifests are not
//! kept (bounded memory: at most `MAX_ENTRIES` entries of at most `MAX_BODY` bytes).
//!
//! Misses are coalesced: while one request loads a reference (for a generation), the others
//! asking for it wait for that load and are answered from what it loaded, as from a hit
//! (`Flight`, a `tokio::sync::OnceCell` per key in flight). A load that fails or is not
//! cacheable is not shared: each waiter then loads for itself, with its own access rules.

use crate::package_cache::GenerationCache;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;
use trove_core::Digest;
use trove_db::packages::Package;

const MAX_ENTRIES: usize = 4096;
/// Manifests larger than this are always read from the store.
pub(crate) const MAX_BODY: u64 = 64 * 1024;

/// A resolved manifest, as cached.
pub(crate) struct CachedManifest {
    /// The repository: whether it is private decides who may be answered from the entry.
    pub pkg: Package,
    pub digest: Digest,
    pub media_type: String,
    pub body: Bytes,
    /// Whether a `GET` of this reference counts as a pull (see `get_manifest`).
    pub counts: bool,
}

/// Key: normalized scope and name, and the reference as requested.
type Key = (String, String, String);

/// One load in flight: set once by the request that runs it, to what it loaded when that is
/// cacheable (`None`: the waiters load for themselves).
pub(crate) type Flight = Arc<OnceCell<Option<Arc<CachedManifest>>>>;

pub(crate) struct ManifestCache {
    entries: GenerationCache<Key, Arc<CachedManifest>>,
    /// Loads in flight, by key and the content generation they load for.
    flights: Mutex<HashMap<(Key, u64), Flight>>,
}

impl Default for ManifestCache {
    fn default() -> Self {
        ManifestCache {
            entries: GenerationCache::new(MAX_ENTRIES),
            flights: Mutex::default(),
        }
    }
}

fn key(repo: &super::RepoName, reference: &str) -> Key {
    (
        trove_core::name::normalize(repo.scope()),
        trove_core::name::normalize(repo.name()),
        reference.to_string(),
    )
}

impl ManifestCache {
    pub(crate) fn get(&self, repo: &super::RepoName, reference: &str, generation: u64) -> Option<Arc<CachedManifest>> {
        self.entries.get(&key(repo, reference), generation)
    }

    /// The load in flight for a reference at a generation, joined (or started when there is
    /// none). Pass it to [`ManifestCache::land`] once it is set.
    pub(crate) fn flight(&self, repo: &super::RepoName, reference: &str, generation: u64) -> Flight {
        let mut flights = self.flights.lock().expect("manifest flights");
        if flights.len() >= 256 {
            // Flights whose every request was cancelled before landing: nobody holds them.
            flights.retain(|_, f| Arc::strong_count(f) > 1);
        }
        flights.entry((key(repo, reference), generation)).or_default().clone()
    }

    /// Forgets a flight once its load is done (later requests find the entry, or start over).
    pub(crate) fn land(&self, repo: &super::RepoName, reference: &str, generation: u64, flight: &Flight) {
        let mut flights = self.flights.lock().expect("manifest flights");
        let k = (key(repo, reference), generation);
        if flights.get(&k).is_some_and(|f| Arc::ptr_eq(f, flight)) {
            flights.remove(&k);
        }
    }

    pub(crate) fn put(&self, repo: &super::RepoName, reference: &str, generation: u64, m: Arc<CachedManifest>) {
        if m.body.len() as u64 <= MAX_BODY {
            self.entries.put(key(repo, reference), generation, m)
        }
    }
}
