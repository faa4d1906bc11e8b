//! Short-lived, per-node caches for hot reads: package rows for the metadata read, and
//! whatever a front-end renders from them (npm packuments).
//!
//! An entry is used only while no write transaction of this process has committed since it
//! was filled (so a node always reads its own writes) and for at most `TTL` (so a change
//! made on another node shows within that time). Misses are not cached.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use trove_db::packages::Package;

const TTL: Duration = Duration::from_secs(1);
const MAX_ENTRIES: usize = 50_000;

/// Values valid for one write generation of the database (`Db::write_generation`) and at
/// most a second; at most `max` entries (full, it keeps only fresh ones, or starts over).
pub struct GenerationCache<K, V> {
    map: Mutex<HashMap<K, (Instant, u64, V)>>,
    max: usize,
}

impl<K, V> Default for GenerationCache<K, V> {
    fn default() -> Self {
        Self::new(MAX_ENTRIES)
    }
}

impl<K, V> GenerationCache<K, V> {
    pub fn new(max: usize) -> Self {
        GenerationCache {
            map: Mutex::default(),
            max,
        }
    }
}

impl<K: Hash + Eq, V: Clone> GenerationCache<K, V> {
    pub fn get(&self, key: &K, generation: u64) -> Option<V> {
        let map = self.map.lock().expect("generation cache");
        match map.get(key) {
            Some((at, g, v)) if *g == generation && at.elapsed() < TTL => Some(v.clone()),
            _ => None,
        }
    }

    pub fn put(&self, key: K, generation: u64, value: V) {
        let mut map = self.map.lock().expect("generation cache");
        if map.len() >= self.max {
            map.retain(|_, (at, g, _)| *g == generation && at.elapsed() < TTL);
            if map.len() >= self.max {
                map.clear();
            }
        }
        map.insert(key, (Instant::now(), generation, value));
    }
}

/// Package rows by normalized scope and name.
#[derive(Default)]
pub(crate) struct PackageCache(GenerationCache<(String, String), Package>);

fn key(scope: &str, name: &str) -> (String, String) {
    (trove_core::name::normalize(scope), trove_core::name::normalize(name))
}

impl PackageCache {
    pub(crate) fn get(&self, scope: &str, name: &str, generation: u64) -> Option<Package> {
        self.0.get(&key(scope, name), generation)
    }

    pub(crate) fn put(&self, scope: &str, name: &str, generation: u64, pkg: Package) {
        self.0.put(key(scope, name), generation, pkg)
    }
}
