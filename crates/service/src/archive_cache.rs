//! Archive listings from memory, for the web UI's file browser and version diffs: per node,
//! the members of a stored archive with the whole contents of its small files, keyed by the
//! archive's blob digest (the bytes under a digest never change, so an entry never goes
//! stale) and bounded in bytes (`quick_cache`, weighed by the paths and contents held).
//!
//! Access is not the cache's business: every read finds the package and version with the
//! usual rules before it looks the archive up.

use quick_cache::sync::Cache;
use std::sync::Arc;
use trove_tarball::browse::{Member, MemberKind};

/// Files kept whole in an entry: at most this size each (the largest file the browser shows)…
pub const CACHED_FILE_BYTES: u64 = 512 * 1024;
/// …and at most this much in all per archive (the first such files in archive order); the
/// others are listed with their size and digest only.
pub const CACHED_ARCHIVE_BYTES: u64 = 8 << 20;
/// Memory one node's cache may hold.
pub const CACHE_BYTES: u64 = 64 << 20;

/// The weight of an entry: its key, paths, link targets and contents, in bytes.
#[derive(Clone)]
struct Bytes;

impl quick_cache::Weighter<String, Arc<[Member]>> for Bytes {
    fn weight(&self, key: &String, members: &Arc<[Member]>) -> u64 {
        key.len() as u64 + members.iter().map(member_weight).sum::<u64>()
    }
}

fn member_weight(m: &Member) -> u64 {
    (std::mem::size_of::<Member>() + m.path.len() + m.head.len() + m.link.as_ref().map_or(0, String::len)) as u64
}

/// Listings by archive (digest and container).
pub struct ArchiveCache(Cache<String, Arc<[Member]>, Bytes>);

impl Default for ArchiveCache {
    fn default() -> Self {
        ArchiveCache::new(CACHE_BYTES)
    }
}

impl ArchiveCache {
    /// A cache holding at most `bytes` (weighed as above).
    pub fn new(bytes: u64) -> Self {
        // Four shards of a quarter each: an archive's entry (up to `CACHED_ARCHIVE_BYTES` and
        // its listing) fits a shard of the default size.
        let options = quick_cache::OptionsBuilder::new()
            .estimated_items_capacity(1024)
            .weight_capacity(bytes)
            .shards(4)
            .build()
            .expect("archive cache options");
        ArchiveCache(Cache::with_options(
            options,
            Bytes,
            Default::default(),
            Default::default(),
        ))
    }

    pub fn get(&self, key: &str) -> Option<Arc<[Member]>> {
        self.0.get(key)
    }

    pub fn insert(&self, key: String, members: Arc<[Member]>) {
        self.0.insert(key, members)
    }

    /// The bytes held now.
    pub fn weight(&self) -> u64 {
        self.0.weight()
    }

    /// The entries held now.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a cached listing keeps of each file (given its declared size): the whole of it when
/// it is small and the archive's budget allows.
pub(crate) fn keeper() -> impl FnMut(&str, u64) -> u64 + Send + 'static {
    let mut left = CACHED_ARCHIVE_BYTES;
    move |_, size| {
        if size <= CACHED_FILE_BYTES && size <= left {
            left -= size;
            size
        } else {
            0
        }
    }
}

/// Drops the contents of files kept in part (a member larger than its archive declared):
/// a listing holds a file's contents whole or not at all.
pub(crate) fn whole_only(members: &mut [Member]) {
    for m in members.iter_mut().filter(|m| m.kind == MemberKind::File) {
        if (m.head.len() as u64) < m.size {
            m.head = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(path: &str, bytes: usize) -> Member {
        Member {
            path: path.into(),
            kind: MemberKind::File,
            size: bytes as u64,
            sha256: None,
            head: vec![b'x'; bytes],
            link: None,
        }
    }

    #[test]
    fn the_cache_stays_within_its_bytes() {
        let cache = ArchiveCache::new(4 << 20);
        for i in 0..40 {
            cache.insert(format!("sha256:{i}"), vec![member("a/b.txt", 200 * 1024)].into());
            assert!(cache.weight() <= 4 << 20, "{} bytes after {i} entries", cache.weight());
        }
        assert!(cache.len() < 40, "older entries were evicted");
        assert!(cache.len() >= 10, "{} entries", cache.len());
        // The newest entry is there; an entry larger than the cache is not kept.
        assert!(cache.get("sha256:39").is_some());
        cache.insert("huge".into(), vec![member("big", 5 << 20)].into());
        assert!(cache.get("huge").is_none());
        assert!(cache.weight() <= 4 << 20);
    }

    #[test]
    fn the_keeper_keeps_small_files_whole_within_the_budget() {
        let mut keep = keeper();
        assert_eq!(keep("a", 10), 10);
        assert_eq!(keep("big", CACHED_FILE_BYTES + 1), 0);
        let mut kept = 10;
        while kept + CACHED_FILE_BYTES <= CACHED_ARCHIVE_BYTES {
            assert_eq!(keep("f", CACHED_FILE_BYTES), CACHED_FILE_BYTES);
            kept += CACHED_FILE_BYTES;
        }
        assert_eq!(keep("over budget", CACHED_FILE_BYTES), 0);
        assert_eq!(
            keep("still fits", CACHED_ARCHIVE_BYTES - kept),
            CACHED_ARCHIVE_BYTES - kept
        );
    }

    #[test]
    fn partly_kept_files_lose_their_contents() {
        let mut ms = vec![member("a", 4), member("b", 4)];
        ms[1].size = 9;
        whole_only(&mut ms);
        assert_eq!(ms[0].head, b"xxxx");
        assert!(ms[1].head.is_empty());
    }
}
