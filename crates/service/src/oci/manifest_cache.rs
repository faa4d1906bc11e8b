//! Manifests from memory: per node, a resolved reference (tag or digest) of a repository →
//! the repository row (with its visibility), the manifest's digest, media type and exact
//! bytes. Entries follow `package_cache::GenerationCache`: used only while no write of this
//! node has committed since they were filled and for at most a second, so a tag re-pushed or
//! deleted on another node shows within that time. Large manifests are not kept (bounded
//! memory: at most `MAX_ENTRIES` entries of at most `MAX_BODY` bytes).

use crate::package_cache::GenerationCache;
use bytes::Bytes;
use std::sync::Arc;
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

pub(crate) struct ManifestCache(GenerationCache<Key, Arc<CachedManifest>>);

impl Default for ManifestCache {
    fn default() -> Self {
        ManifestCache(GenerationCache::new(MAX_ENTRIES))
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
        self.0.get(&key(repo, reference), generation)
    }

    pub(crate) fn put(&self, repo: &super::RepoName, reference: &str, generation: u64, m: Arc<CachedManifest>) {
        if m.body.len() as u64 <= MAX_BODY {
            self.0.put(key(repo, reference), generation, m)
        }
    }
}
