//! Blob lookups from memory: per node, a repository and a blob digest → the repository row
//! (with its visibility) and the blob as linked there, so a blob `GET` or `HEAD` answered
//! from it makes no database round trip (the repository lookup, the access check of a public
//! repository and the link lookup were 2-3 queries of every download). Entries follow
//! `package_cache::GenerationCache` as the manifest cache does: used only while no write of
//! this node has committed since they were filled (an unlinked blob or a repository made
//! private shows at once), and for at most a second (a write on another node shows within
//! that time). Only blobs found are kept; a private repository's entry serves only callers
//! who may read it (checked as every read is). At most `MAX_ENTRIES` entries.

use super::{BlobInfo, RepoName};
use crate::package_cache::GenerationCache;
use std::sync::Arc;
use trove_core::Digest;
use trove_db::packages::Package;

const MAX_ENTRIES: usize = 16_384;

/// A blob linked in a repository, as cached.
pub(crate) struct CachedBlob {
    pub pkg: Package,
    pub info: BlobInfo,
}

/// Key: normalized scope and name, and the digest as requested.
type Key = (String, String, Digest);

pub(crate) struct BlobCache(GenerationCache<Key, Arc<CachedBlob>>);

impl Default for BlobCache {
    fn default() -> Self {
        BlobCache(GenerationCache::new(MAX_ENTRIES))
    }
}

fn key(repo: &RepoName, digest: &Digest) -> Key {
    (
        trove_core::name::normalize(repo.scope()),
        trove_core::name::normalize(repo.name()),
        digest.clone(),
    )
}

impl BlobCache {
    pub(crate) fn get(&self, repo: &RepoName, digest: &Digest, generation: u64) -> Option<Arc<CachedBlob>> {
        self.0.get(&key(repo, digest), generation)
    }

    pub(crate) fn put(&self, repo: &RepoName, digest: &Digest, generation: u64, blob: Arc<CachedBlob>) {
        self.0.put(key(repo, digest), generation, blob)
    }
}
