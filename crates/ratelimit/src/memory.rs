//! Counts in this process.

use crate::{BoxFuture, Decision, Error, Limiter};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Fixed windows kept in a map; expired entries are swept as the map grows.
#[derive(Debug, Default)]
pub struct MemoryLimiter {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    windows: HashMap<String, (Instant, u64)>,
    /// Size at which expired windows are next swept (at least `SWEEP_AT`, then twice what
    /// survived the last sweep, so sweeping stays amortized O(1) per hit).
    sweep_at: usize,
}

/// Above this many keys, expired windows are removed before adding another.
const SWEEP_AT: usize = 10_000;

impl MemoryLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a hit at `now` (separate for tests).
    pub fn hit_at(&self, key: &str, limit: u64, window: Duration, now: Instant) -> Decision {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let inner = &mut *inner;
        if inner.windows.len() >= inner.sweep_at.max(SWEEP_AT) && !inner.windows.contains_key(key) {
            inner.windows.retain(|_, (ends, _)| *ends > now);
            inner.sweep_at = (inner.windows.len() * 2).max(SWEEP_AT);
        }
        let entry = inner.windows.entry(key.to_string()).or_insert((now + window, 0));
        if entry.0 <= now {
            *entry = (now + window, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        Decision::from_count(entry.1, limit, entry.0 - now)
    }

    /// Number of tracked keys.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Limiter for MemoryLimiter {
    fn hit<'a>(&'a self, key: &'a str, limit: u64, window: Duration) -> BoxFuture<'a, Result<Decision, Error>> {
        let d = self.hit_at(key, limit, window, Instant::now());
        Box::pin(async move { Ok(d) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn allows_up_to_the_limit_then_refuses() {
        let l = MemoryLimiter::new();
        let t = Instant::now();
        for i in 1..=3 {
            let d = l.hit_at("k", 3, MIN, t);
            assert!(d.allowed);
            assert_eq!(d.remaining, 3 - i);
            assert_eq!(d.limit, 3);
        }
        let d = l.hit_at("k", 3, MIN, t + Duration::from_secs(10));
        assert!(!d.allowed);
        assert_eq!(d.remaining, 0);
        assert_eq!(d.reset, Duration::from_secs(50));
        assert_eq!(d.reset_secs(), 50);
    }

    #[test]
    fn keys_are_independent() {
        let l = MemoryLimiter::new();
        let t = Instant::now();
        assert!(l.hit_at("a", 1, MIN, t).allowed);
        assert!(!l.hit_at("a", 1, MIN, t).allowed);
        assert!(l.hit_at("b", 1, MIN, t).allowed);
    }

    #[test]
    fn window_resets() {
        let l = MemoryLimiter::new();
        let t = Instant::now();
        assert!(l.hit_at("k", 1, MIN, t).allowed);
        assert!(!l.hit_at("k", 1, MIN, t + Duration::from_secs(59)).allowed);
        let d = l.hit_at("k", 1, MIN, t + MIN);
        assert!(d.allowed);
        assert_eq!(d.remaining, 0);
        assert_eq!(d.reset, MIN);
    }

    #[test]
    fn reset_secs_rounds_up_and_is_at_least_one() {
        let d = Decision::from_count(1, 1, Duration::from_millis(1));
        assert_eq!(d.reset_secs(), 1);
        let d = Decision::from_count(1, 1, Duration::from_millis(1001));
        assert_eq!(d.reset_secs(), 2);
    }

    #[test]
    fn expired_windows_are_swept() {
        let l = MemoryLimiter::new();
        let t = Instant::now();
        for i in 0..SWEEP_AT {
            l.hit_at(&format!("k{i}"), 5, Duration::from_secs(1), t);
        }
        assert_eq!(l.len(), SWEEP_AT);
        l.hit_at("new", 5, Duration::from_secs(1), t + Duration::from_secs(2));
        assert_eq!(l.len(), 1);
        // Live windows are kept, and the next sweep waits until the map has grown again.
        let t2 = t + Duration::from_secs(3);
        for i in 0..SWEEP_AT {
            l.hit_at(&format!("live{i}"), 5, MIN, t2);
        }
        l.hit_at("one-more", 5, MIN, t2);
        assert_eq!(l.len(), SWEEP_AT + 1, "only the expired `new` is swept");
        l.hit_at("another", 5, MIN, t2);
        assert_eq!(l.len(), SWEEP_AT + 2);
    }

    #[tokio::test]
    async fn trait_object_counts() {
        let l: Box<dyn Limiter> = Box::new(MemoryLimiter::new());
        assert!(l.hit("x", 1, MIN).await.unwrap().allowed);
        assert!(!l.hit("x", 1, MIN).await.unwrap().allowed);
    }
}
