//! Counts in Redis, shared by every node: one atomic Lua script per hit (INCR, PEXPIRE on
//! the first hit of a window, PTTL), invoked by its SHA (`EVALSHA`, loaded on `NOSCRIPT`)
//! over one multiplexed connection that all hits share and that is re-opened after an error.

use crate::{BoxFuture, Decision, Error, Limiter};
use futures::future::{FutureExt, Shared};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisError, Script};
use std::io;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

const SCRIPT: &str = "local c = redis.call('INCR', KEYS[1]) \
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end \
local t = redis.call('PTTL', KEYS[1]) \
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) t = tonumber(ARGV[1]) end \
return {c, t}";

/// Connection attempts start at most this often; in between, hits fail immediately instead
/// of each one waiting for a connect timeout.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);

/// The open connection, or the attempt to open it, shared by every hit.
type SharedConnection = Shared<futures::future::BoxFuture<'static, Result<MultiplexedConnection, RedisError>>>;

pub struct RedisLimiter {
    client: Client,
    script: Script,
    prefix: String,
    /// Only held to read or replace the fields, never across an await.
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    conn: Option<SharedConnection>,
    last_attempt: Option<Instant>,
}

impl std::fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("addr", &self.addr())
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisLimiter {
    /// `url` is `redis://[[user]:password@]host[:port][/db]`; every key starts with `prefix`.
    /// Nothing is connected until the first hit.
    pub fn new(url: &str, prefix: &str) -> Result<RedisLimiter, Error> {
        let client = Client::open(url).map_err(|e| {
            Error::Protocol(format!(
                "invalid Redis URL (use redis://[[user]:password@]host[:port][/db]): {e}"
            ))
        })?;
        Ok(RedisLimiter {
            client,
            script: Script::new(SCRIPT),
            prefix: prefix.to_string(),
            state: Mutex::default(),
        })
    }

    fn addr(&self) -> String {
        self.client.get_connection_info().addr().to_string()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The shared connection; opens one unless an attempt started less than
    /// `RETRY_AFTER_FAILURE` ago.
    fn connection(&self) -> Result<SharedConnection, Error> {
        let mut state = self.state();
        if let Some(conn) = &state.conn {
            return Ok(conn.clone());
        }
        let now = Instant::now();
        if state
            .last_attempt
            .is_some_and(|t| now.duration_since(t) < RETRY_AFTER_FAILURE)
        {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::NotConnected,
                format!("Redis at {} was unreachable moments ago", self.addr()),
            )));
        }
        state.last_attempt = Some(now);
        let client = self.client.clone();
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT));
        let conn = async move { client.get_multiplexed_async_connection_with_config(&config).await }
            .boxed()
            .shared();
        state.conn = Some(conn.clone());
        Ok(conn)
    }

    /// Drops `conn` (failed to open, or broken) so that the next hit opens another.
    fn forget(&self, conn: &SharedConnection) {
        let mut state = self.state();
        if state.conn.as_ref().is_some_and(|c| c.ptr_eq(conn)) {
            state.conn = None;
        }
    }

    async fn eval(&self, key: &str, window_ms: u64) -> Result<(u64, u64), Error> {
        let shared = self.connection()?;
        let mut conn = match shared.clone().await {
            Ok(conn) => conn,
            Err(e) => {
                self.forget(&shared);
                return Err(backend_error(e));
            }
        };
        let mut invocation = self.script.key(format!("{}{}", self.prefix, key));
        invocation.arg(window_ms);
        match tokio::time::timeout(COMMAND_TIMEOUT, invocation.invoke_async::<(i64, i64)>(&mut conn)).await {
            Ok(Ok((count, ttl_ms))) => Ok((count.max(0) as u64, ttl_ms.max(0) as u64)),
            Ok(Err(e)) => {
                // An error reply (a script error, say) leaves the connection usable.
                if e.is_io_error() || e.is_unrecoverable_error() {
                    self.forget(&shared);
                }
                Err(backend_error(e))
            }
            Err(_) => {
                self.forget(&shared);
                Err(Error::Io(io::Error::new(io::ErrorKind::TimedOut, "Redis timed out")))
            }
        }
    }
}

fn backend_error(e: RedisError) -> Error {
    if e.is_io_error() {
        let kind = if e.is_timeout() {
            io::ErrorKind::TimedOut
        } else {
            io::ErrorKind::Other
        };
        Error::Io(io::Error::new(kind, e))
    } else {
        Error::Protocol(e.to_string())
    }
}

impl Limiter for RedisLimiter {
    fn hit<'a>(&'a self, key: &'a str, limit: u64, window: Duration) -> BoxFuture<'a, Result<Decision, Error>> {
        Box::pin(async move {
            let window_ms = (window.as_millis() as u64).max(1);
            let (count, ttl_ms) = self.eval(key, window_ms).await?;
            Ok(Decision::from_count(count, limit, Duration::from_millis(ttl_ms)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Redis keys unique to one test run.
    fn prefix(name: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        format!("trove-test:rl:{}:{}:{}:", name, std::process::id(), nanos)
    }

    #[test]
    fn parses_urls() {
        let l = RedisLimiter::new("redis://127.0.0.1:6379/2", "p:").unwrap();
        let info = l.client.get_connection_info();
        assert_eq!(info.addr().to_string(), "127.0.0.1:6379");
        assert_eq!(info.redis_settings().db(), 2);
        let l = RedisLimiter::new("redis://:secret@cache", "p:").unwrap();
        let info = l.client.get_connection_info();
        assert_eq!(info.addr().to_string(), "cache:6379");
        assert_eq!(info.redis_settings().username(), None);
        assert_eq!(info.redis_settings().password(), Some("secret"));
        let l = RedisLimiter::new("redis://bob:secret@cache:7000", "p:").unwrap();
        let info = l.client.get_connection_info();
        assert_eq!(info.addr().to_string(), "cache:7000");
        assert_eq!(info.redis_settings().username(), Some("bob"));
        assert!(RedisLimiter::new("http://x", "p:").is_err());
        assert!(RedisLimiter::new("redis://cache/x", "p:").is_err());
        assert!(RedisLimiter::new("not a url", "p:").is_err());
    }

    #[tokio::test]
    async fn counts_in_redis_and_shares_between_limiters() {
        let p = prefix("share");
        let a = RedisLimiter::new("redis://127.0.0.1:6379", &p).unwrap();
        let b = RedisLimiter::new("redis://127.0.0.1:6379", &p).unwrap();
        let w = Duration::from_secs(60);
        let d = a.hit("k", 2, w).await.unwrap();
        assert!(d.allowed);
        assert_eq!((d.limit, d.remaining), (2, 1));
        assert!(d.reset <= w && d.reset > Duration::from_secs(50));
        assert_eq!(d.reset_secs(), 60);
        let d = b.hit("k", 2, w).await.unwrap();
        assert!(d.allowed);
        assert_eq!(d.remaining, 0);
        assert!(d.reset <= w && d.reset > Duration::from_secs(50));
        let d = a.hit("k", 2, w).await.unwrap();
        assert!(!d.allowed);
        assert_eq!(d.remaining, 0);
        assert!(b.hit("other", 2, w).await.unwrap().allowed);
        // The script was loaded once and is invoked by its SHA.
        let mut conn = a.client.get_multiplexed_async_connection().await.unwrap();
        let loaded: Vec<bool> = redis::cmd("SCRIPT")
            .arg("EXISTS")
            .arg(a.script.get_hash())
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(loaded, [true]);
        // Keys carry the prefix.
        let n: u64 = redis::cmd("GET")
            .arg(format!("{p}k"))
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_hits_are_all_counted() {
        let l = Arc::new(RedisLimiter::new("redis://127.0.0.1:6379", &prefix("concurrent")).unwrap());
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..200 {
            let l = l.clone();
            tasks.spawn(async move { l.hit("k", 1000, Duration::from_secs(60)).await.unwrap() });
        }
        let mut counts: Vec<u64> = tasks.join_all().await.iter().map(|d| 1000 - d.remaining).collect();
        counts.sort_unstable();
        assert_eq!(counts, (1..=200).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn window_expires() {
        let l = RedisLimiter::new("redis://127.0.0.1:6379", &prefix("expire")).unwrap();
        let w = Duration::from_millis(200);
        assert!(l.hit("k", 1, w).await.unwrap().allowed);
        assert!(!l.hit("k", 1, w).await.unwrap().allowed);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(l.hit("k", 1, w).await.unwrap().allowed);
    }

    #[tokio::test]
    async fn unreachable_redis_is_an_error_quickly() {
        let l = RedisLimiter::new("redis://127.0.0.1:1", "p:").unwrap();
        let t = Instant::now();
        assert!(l.hit("k", 1, Duration::from_secs(60)).await.is_err());
        assert!(t.elapsed() < Duration::from_secs(2));
        let t = Instant::now();
        assert!(l.hit("k", 1, Duration::from_secs(60)).await.is_err());
        assert!(t.elapsed() < Duration::from_millis(100));
    }

    /// A server that accepts connections but never answers: hits fail within the timeouts,
    /// and only one connection is attempted per second.
    #[tokio::test]
    async fn silent_redis_is_an_error_within_a_second() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("redis://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                open.push(socket);
            }
        });
        let l = RedisLimiter::new(&url, "p:").unwrap();
        let t = Instant::now();
        assert!(l.hit("k", 1, Duration::from_secs(60)).await.is_err());
        assert!(t.elapsed() < Duration::from_millis(1500), "{:?}", t.elapsed());
        let t = Instant::now();
        assert!(l.hit("k", 1, Duration::from_secs(60)).await.is_err());
        assert!(t.elapsed() < Duration::from_millis(100));
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
