//! A short-lived, per-node cache of package rows for the hot metadata read.
//!
//! An entry is used only while no write transaction of this process has committed since it
//! was filled (so a node always reads its own writes) and for at most `TTL` (so a change
//! made on another node shows within that time). Misses are not cached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use trove_db::packages::Package;

const TTL: Duration = Duration::from_secs(1);
const MAX_ENTRIES: usize = 50_000;

type Key = (String, String);

#[derive(Default)]
pub(crate) struct PackageCache(Mutex<HashMap<Key, (Instant, u64, Package)>>);

fn key(scope: &str, name: &str) -> Key {
    (trove_core::name::normalize(scope), trove_core::name::normalize(name))
}

impl PackageCache {
    pub(crate) fn get(&self, scope: &str, name: &str, generation: u64) -> Option<Package> {
        let map = self.0.lock().expect("package cache");
        match map.get(&key(scope, name)) {
            Some((at, g, p)) if *g == generation && at.elapsed() < TTL => Some(p.clone()),
            _ => None,
        }
    }

    pub(crate) fn put(&self, scope: &str, name: &str, generation: u64, pkg: Package) {
        let mut map = self.0.lock().expect("package cache");
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (at, g, _)| *g == generation && at.elapsed() < TTL);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(key(scope, name), (Instant::now(), generation, pkg));
    }
}
