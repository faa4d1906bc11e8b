//! Counts in Redis, shared by every node: one atomic Lua script per hit (INCR, PEXPIRE on
//! the first hit of a window, PTTL), over a minimal RESP2 client on one pipelined-free
//! connection that is re-opened after an error.

use crate::{BoxFuture, Decision, Error, Limiter};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

const SCRIPT: &str = "local c = redis.call('INCR', KEYS[1]) \
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end \
local t = redis.call('PTTL', KEYS[1]) \
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) t = tonumber(ARGV[1]) end \
return {c, t}";

/// After a connection failure, hits fail immediately for this long instead of each one
/// waiting for a connect timeout.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct RedisLimiter {
    addr: String,
    password: Option<(Option<String>, String)>,
    db: Option<u32>,
    prefix: String,
    conn: Mutex<Option<BufStream<TcpStream>>>,
    started: Instant,
    /// Milliseconds since `started` before which no reconnect is tried.
    down_until_ms: AtomicU64,
}

impl RedisLimiter {
    /// `url` is `redis://[[user]:password@]host[:port][/db]`; every key starts with `prefix`.
    pub fn new(url: &str, prefix: &str) -> Result<RedisLimiter, Error> {
        let rest = url
            .strip_prefix("redis://")
            .ok_or_else(|| Error::Protocol(format!("unsupported Redis URL (use redis://host:port): {url}")))?;
        let (auth, hostpart) = match rest.rsplit_once('@') {
            Some((a, h)) => (Some(a), h),
            None => (None, rest),
        };
        let (hostport, db) = match hostpart.split_once('/') {
            Some((h, "")) => (h, None),
            Some((h, d)) => (
                h,
                Some(
                    d.parse::<u32>()
                        .map_err(|_| Error::Protocol(format!("bad database number in Redis URL: {d}")))?,
                ),
            ),
            None => (hostpart, None),
        };
        let addr = if hostport.contains(':') {
            hostport.to_string()
        } else {
            format!("{hostport}:6379")
        };
        let password = auth.map(|a| match a.split_once(':') {
            Some(("", p)) => (None, p.to_string()),
            Some((u, p)) => (Some(u.to_string()), p.to_string()),
            None => (None, a.to_string()),
        });
        Ok(RedisLimiter {
            addr,
            password,
            db,
            prefix: prefix.to_string(),
            conn: Mutex::new(None),
            started: Instant::now(),
            down_until_ms: AtomicU64::new(0),
        })
    }

    async fn connect(&self) -> Result<BufStream<TcpStream>, Error> {
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&self.addr))
            .await
            .map_err(|_| Error::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")))??;
        tcp.set_nodelay(true)?;
        let mut s = BufStream::new(tcp);
        if let Some((user, pass)) = &self.password {
            let mut args = vec!["AUTH"];
            if let Some(u) = user {
                args.push(u);
            }
            args.push(pass);
            command(&mut s, &args).await?;
        }
        if let Some(db) = self.db {
            command(&mut s, &["SELECT", &db.to_string()]).await?;
        }
        Ok(s)
    }

    async fn eval(&self, key: &str, window_ms: u64) -> Result<(u64, u64), Error> {
        let now_ms = self.started.elapsed().as_millis() as u64;
        let mut guard = self.conn.lock().await;
        if guard.is_none() {
            if now_ms < self.down_until_ms.load(Ordering::Relaxed) {
                return Err(Error::Io(std::io::Error::new(
                    std::io::ErrorKind::NotConnected,
                    format!("Redis at {} was unreachable moments ago", self.addr),
                )));
            }
            match self.connect().await {
                Ok(s) => *guard = Some(s),
                Err(e) => {
                    self.down_until_ms
                        .store(now_ms + RETRY_AFTER_FAILURE.as_millis() as u64, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        let stream = guard.as_mut().expect("connected");
        let full_key = format!("{}{}", self.prefix, key);
        let window = window_ms.to_string();
        let reply = tokio::time::timeout(
            COMMAND_TIMEOUT,
            command(stream, &["EVAL", SCRIPT, "1", &full_key, &window]),
        )
        .await
        .unwrap_or_else(|_| {
            Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "Redis timed out",
            )))
        });
        match reply {
            Ok(Value::Array(v)) => match v.as_slice() {
                [Value::Int(c), Value::Int(t)] => Ok(((*c).max(0) as u64, (*t).max(0) as u64)),
                _ => Err(Error::Protocol(format!("unexpected script reply {v:?}"))),
            },
            Ok(other) => Err(Error::Protocol(format!("unexpected script reply {other:?}"))),
            Err(e) => {
                // The stream may be mid-reply: start over with a new connection.
                *guard = None;
                Err(e)
            }
        }
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

#[derive(Debug, PartialEq)]
enum Value {
    Nil,
    Int(i64),
    Str(Vec<u8>),
    Array(Vec<Value>),
}

async fn command(s: &mut BufStream<TcpStream>, args: &[&str]) -> Result<Value, Error> {
    let mut buf = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        buf.extend_from_slice(a.as_bytes());
        buf.extend_from_slice(b"\r\n");
    }
    s.write_all(&buf).await?;
    s.flush().await?;
    read_value(s).await
}

fn read_value(s: &mut BufStream<TcpStream>) -> BoxFuture<'_, Result<Value, Error>> {
    Box::pin(async move {
        let mut line = String::new();
        if s.read_line(&mut line).await? == 0 {
            return Err(Error::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let (kind, rest) = line.split_at(line.len().min(1));
        let int = |r: &str| {
            r.parse::<i64>()
                .map_err(|_| Error::Protocol(format!("bad RESP line {line:?}")))
        };
        match kind {
            "+" => Ok(Value::Str(rest.as_bytes().to_vec())),
            "-" => Err(Error::Protocol(rest.to_string())),
            ":" => Ok(Value::Int(int(rest)?)),
            "$" => {
                let n = int(rest)?;
                if n < 0 {
                    return Ok(Value::Nil);
                }
                let mut data = vec![0; n as usize + 2];
                s.read_exact(&mut data).await?;
                data.truncate(n as usize);
                Ok(Value::Str(data))
            }
            "*" => {
                let n = int(rest)?;
                if n < 0 {
                    return Ok(Value::Nil);
                }
                let mut items = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    items.push(read_value(s).await?);
                }
                Ok(Value::Array(items))
            }
            _ => Err(Error::Protocol(format!("bad RESP line {line:?}"))),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(name: &str) -> String {
        format!("trove-test:rl:{}:{}:", name, std::process::id())
    }

    #[test]
    fn parses_urls() {
        let l = RedisLimiter::new("redis://127.0.0.1:6379/2", "p:").unwrap();
        assert_eq!(l.addr, "127.0.0.1:6379");
        assert_eq!(l.db, Some(2));
        let l = RedisLimiter::new("redis://:secret@cache", "p:").unwrap();
        assert_eq!(l.addr, "cache:6379");
        assert_eq!(l.password, Some((None, "secret".into())));
        assert!(RedisLimiter::new("http://x", "p:").is_err());
    }

    #[tokio::test]
    async fn counts_in_redis_and_shares_between_limiters() {
        let p = prefix("share");
        let a = RedisLimiter::new("redis://127.0.0.1:6379", &p).unwrap();
        let b = RedisLimiter::new("redis://127.0.0.1:6379", &p).unwrap();
        let w = Duration::from_secs(60);
        let d = a.hit("k", 2, w).await.unwrap();
        assert!(d.allowed);
        assert_eq!(d.remaining, 1);
        assert!(d.reset <= w && d.reset > Duration::from_secs(50));
        assert!(b.hit("k", 2, w).await.unwrap().allowed);
        let d = a.hit("k", 2, w).await.unwrap();
        assert!(!d.allowed);
        assert_eq!(d.remaining, 0);
        assert!(b.hit("other", 2, w).await.unwrap().allowed);
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
        assert!(l.hit("k", 1, Duration::from_secs(60)).await.is_err());
        let t = Instant::now();
        assert!(l.hit("k", 1, Duration::from_secs(60)).await.is_err());
        assert!(t.elapsed() < Duration::from_millis(100));
    }
}
