//! Fixed-window rate limiting: a [`Limiter`] counts hits per key in windows of a given
//! length. [`MemoryLimiter`] serves one node; [`RedisLimiter`] (an atomic Lua script run
//! with the `redis` crate) shares the counts between nodes. No web dependencies.

mod memory;
mod redis;

pub use memory::MemoryLimiter;
pub use redis::RedisLimiter;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The outcome of one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the hit is within the limit.
    pub allowed: bool,
    /// The limit of the window.
    pub limit: u64,
    /// Hits still allowed in this window.
    pub remaining: u64,
    /// Time until the window resets.
    pub reset: Duration,
}

impl Decision {
    fn from_count(count: u64, limit: u64, reset: Duration) -> Decision {
        Decision {
            allowed: count <= limit,
            limit,
            remaining: limit.saturating_sub(count),
            reset,
        }
    }

    /// Whole seconds until the reset, at least 1 (for `Retry-After` / `RateLimit-Reset`).
    pub fn reset_secs(&self) -> u64 {
        let ms = self.reset.as_millis() as u64;
        ms.div_ceil(1000).max(1)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("rate-limit backend unavailable: {0}")]
    Io(#[from] std::io::Error),
    #[error("rate-limit backend protocol error: {0}")]
    Protocol(String),
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Counts a hit for `key` in the current window of length `window` and says whether it
/// stays within `limit`.
pub trait Limiter: Send + Sync + 'static {
    fn hit<'a>(&'a self, key: &'a str, limit: u64, window: Duration) -> BoxFuture<'a, Result<Decision, Error>>;
}
