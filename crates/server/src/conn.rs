//! Connections: the accept loop, per-connection timeouts and the connection cap.
//!
//! Hostile or broken clients must not hold the server: a client gets
//! `header_read_timeout` to send a request's headers (counted from the connection's opening
//! or the end of the previous response, so it is also the keep-alive idle timeout), a request
//! body must keep arriving (see [`crate::body_timeout`]), and a client that stops reading a
//! response is dropped after `send_timeout`. At most `max_connections` are open (kept below
//! the process's open-file limit, which is raised to its hard limit at start); at the cap, the
//! oldest idle connection (no request in progress: idle keep-alive or half-sent headers) is
//! closed to make room, so one client's idle sockets cannot lock others out.
//!
//! At shutdown, idle connections and requests whose body has stalled are closed at once;
//! requests in progress get the shutdown grace period.

use crate::body_timeout::{self, BodyLimits, TimedBody};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future as _;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Sleep;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

/// Requests one HTTP/2 connection may have in progress at once.
const H2_MAX_STREAMS: u32 = 128;

/// Open-file descriptors kept free for the database, storage and logs.
const FD_RESERVE: u64 = 128;

#[derive(Clone)]
pub struct ConnLimits {
    pub header_read_timeout: Duration,
    pub send_timeout: Duration,
    pub max_connections: usize,
    pub body: BodyLimits,
    /// Serve HTTPS with this (HTTP/2 or HTTP/1.1 as the client's ALPN chooses).
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// On plain connections, also accept HTTP/2 with prior knowledge (h2c, for a proxy that
    /// terminates TLS); off, plain connections are HTTP/1.1 only.
    pub h2c: bool,
}

/// Which HTTP a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Http1,
    Http2,
    /// Decided by the first bytes (h2c prior knowledge or HTTP/1.1).
    Sniff,
}

/// What the accept loop and shutdown know of one connection.
pub(crate) struct ConnState {
    opened: Instant,
    /// Requests dispatched and not finished (their response body not yet sent or dropped).
    busy: AtomicUsize,
    /// When a request body of this connection started waiting for bytes (ms since `opened`,
    /// plus one; 0 while none waits).
    body_waiting_since: AtomicU64,
    kill: CancellationToken,
}

impl ConnState {
    fn new() -> Arc<Self> {
        Arc::new(ConnState {
            opened: Instant::now(),
            busy: AtomicUsize::new(0),
            body_waiting_since: AtomicU64::new(0),
            kill: CancellationToken::new(),
        })
    }

    pub(crate) fn body_waiting(&self, waiting: bool) {
        let v = if waiting {
            self.opened.elapsed().as_millis() as u64 + 1
        } else {
            0
        };
        if !waiting || self.body_waiting_since.load(Ordering::Relaxed) == 0 {
            self.body_waiting_since.store(v, Ordering::Relaxed);
        }
    }

    /// A request body has waited for bytes for longer than `d`.
    fn body_stalled_for(&self, d: Duration) -> bool {
        let since = self.body_waiting_since.load(Ordering::Relaxed);
        since != 0 && self.opened.elapsed().as_millis() as u64 + 1 >= since + d.as_millis() as u64
    }

    fn idle(&self) -> bool {
        self.busy.load(Ordering::Acquire) == 0
    }
}

/// Counts a request as in progress until dropped (with its response body).
struct Busy(Arc<ConnState>);

impl Busy {
    fn new(state: &Arc<ConnState>) -> Self {
        state.busy.fetch_add(1, Ordering::AcqRel);
        Busy(state.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
        self.0.body_waiting(false);
    }
}

#[derive(Default)]
struct Registry {
    next: u64,
    open: HashMap<u64, Arc<ConnState>>,
}

impl Registry {
    /// Closes the oldest idle connection (no request in progress); false when every
    /// connection is busy.
    fn evict_idle(&mut self) -> bool {
        let oldest = self
            .open
            .iter()
            .filter(|(_, c)| c.idle() && !c.kill.is_cancelled())
            .min_by_key(|(_, c)| c.opened)
            .map(|(id, _)| *id);
        match oldest.and_then(|id| self.open.get(&id)) {
            Some(c) => {
                c.kill.cancel();
                true
            }
            None => false,
        }
    }
}

/// Raises the soft open-file limit to the hard one and returns it (None where unknown).
fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
        unsafe {
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return None;
            }
            if lim.rlim_cur < lim.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: lim.rlim_max,
                    rlim_max: lim.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    lim.rlim_cur = lim.rlim_max;
                }
            }
            #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every platform
            Some(lim.rlim_cur as u64)
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The connection cap in force: the configured one, kept below the open-file limit.
pub fn effective_max_connections(configured: usize) -> usize {
    let configured = configured.max(1);
    match raise_fd_limit() {
        Some(fds) if fds > FD_RESERVE * 2 => configured.min((fds - FD_RESERVE) as usize),
        Some(fds) => configured.min((fds / 2).max(1) as usize),
        None => configured,
    }
}

/// Serves `app` on `listener` until `shutdown` turns true, then drains: idle connections and
/// stalled request bodies are closed at once, requests in progress get up to `grace`.
/// Returns whether every connection finished within it.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    mut shutdown: watch::Receiver<bool>,
    grace: Duration,
) -> bool {
    let limits = Arc::new(limits);
    let registry = Arc::new(Mutex::new(Registry::default()));
    let stopping = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: wait for some to be freed.
                metrics::counter!("trove_accept_errors_total").increment(1);
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let state = ConnState::new();
        let id = {
            let mut reg = registry.lock().expect("registry");
            if reg.open.len() >= limits.max_connections && !reg.evict_idle() {
                drop(reg);
                metrics::counter!("trove_connections_refused_total").increment(1);
                tracing::warn!(%peer, max = limits.max_connections, "connection cap reached with every connection busy; refusing a connection");
                drop(stream);
                continue;
            }
            reg.next += 1;
            let id = reg.next;
            reg.open.insert(id, state.clone());
            id
        };
        metrics::gauge!("trove_connections_open").increment(1.0);
        let app = app.clone();
        let limits = limits.clone();
        let registry = registry.clone();
        let stopping = stopping.clone();
        tasks.spawn(async move {
            let _ = stream.set_nodelay(true);
            let io = WatchedIo::new(stream, limits.send_timeout);
            match limits.tls.clone() {
                Some(tls) => {
                    // The handshake gets the time a client has to send its headers.
                    let handshake = tokio::select! {
                        r = tokio::time::timeout(limits.header_read_timeout, tls.accept(io)) => r,
                        _ = state.kill.cancelled() => Ok(Err(io::Error::other("evicted"))),
                    };
                    match handshake {
                        Ok(Ok(tls_io)) => {
                            let h2 = tls_io.get_ref().1.alpn_protocol() == Some(b"h2");
                            let protocol = if h2 { Protocol::Http2 } else { Protocol::Http1 };
                            serve_connection(tls_io, protocol, peer, app, limits, state, stopping).await;
                        }
                        Ok(Err(e)) => {
                            metrics::counter!("trove_connections_closed_total", "reason" => "tls").increment(1);
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        }
                        Err(_) => {
                            metrics::counter!("trove_connections_closed_total", "reason" => "timeout").increment(1);
                            tracing::debug!(%peer, "TLS handshake timed out");
                        }
                    }
                }
                None => {
                    let protocol = if limits.h2c { Protocol::Sniff } else { Protocol::Http1 };
                    serve_connection(io, protocol, peer, app, limits, state, stopping).await;
                }
            }
            registry.lock().expect("registry").open.remove(&id);
            metrics::gauge!("trove_connections_open").decrement(1.0);
        });
    }
    drop(listener);
    // Draining: graceful shutdown of every connection; the idle ones close at once.
    stopping.cancel();
    let deadline = Instant::now() + grace;
    loop {
        {
            let reg = registry.lock().expect("registry");
            for c in reg.open.values() {
                if c.idle() || c.body_stalled_for(Duration::from_secs(1)) {
                    c.kill.cancel();
                }
            }
        }
        if tasks.is_empty() {
            return true;
        }
        if Instant::now() >= deadline {
            tasks.abort_all();
            return false;
        }
        tokio::select! {
            _ = tasks.join_next() => {}
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}

async fn serve_connection<I>(
    stream: I,
    protocol: Protocol,
    peer: SocketAddr,
    app: Router,
    limits: Arc<ConnLimits>,
    state: Arc<ConnState>,
    stopping: CancellationToken,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(stream);
    let svc_state = state.clone();
    let svc_limits = limits.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let app = app.clone();
        let state = svc_state.clone();
        let body_limits = svc_limits.body.clone();
        async move {
            let busy = Busy::new(&state);
            // Kept for a 408's error body (a reference-counted copy, no allocation).
            let uri = req.uri().clone();
            let (mut parts, incoming) = req.into_parts();
            // HTTP/2 names the origin in `:authority`, not `Host`: give the front-ends the same
            // `Host` they get over HTTP/1.1, so links they build keep the port (cargo's
            // config.json, npm tarball URLs, token realms).
            if !parts.headers.contains_key(http::header::HOST) {
                if let Some(authority) = parts.uri.authority() {
                    if let Ok(v) = http::HeaderValue::from_str(authority.as_str()) {
                        parts.headers.insert(http::header::HOST, v);
                    }
                }
            }
            let timed = TimedBody::new(incoming, body_limits, state.clone());
            let outcome = timed.outcome();
            let mut req = hyper::Request::from_parts(parts, Body::new(timed));
            req.extensions_mut().insert(ConnectInfo(peer));
            let res = app.oneshot(req).await.unwrap_or_else(|e: Infallible| match e {});
            let res = match outcome.get() {
                Some(reason) => body_timeout::refusal(uri.path(), reason),
                None => res,
            };
            Ok::<_, Infallible>(res.map(|b| Body::new(BusyBody { inner: b, _busy: busy })))
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    // HTTP/2 has no header timeout of its own: pings find dead peers, the stream cap bounds
    // one connection's work, and idle connections are evicted at the connection cap.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(limits.header_read_timeout))
        .keep_alive_timeout(limits.header_read_timeout)
        .max_concurrent_streams(H2_MAX_STREAMS);
    let builder = match protocol {
        Protocol::Http1 => builder.http1_only(),
        Protocol::Http2 => builder.http2_only(),
        Protocol::Sniff => builder,
    };
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut graceful = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    let timeout = e.downcast_ref::<hyper::Error>().is_some_and(|e| e.is_timeout());
                    let reason = if timeout { "timeout" } else { "error" };
                    metrics::counter!("trove_connections_closed_total", "reason" => reason).increment(1);
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
                return;
            }
            _ = state.kill.cancelled() => {
                metrics::counter!("trove_connections_closed_total", "reason" => "evicted").increment(1);
                tracing::debug!(%peer, "connection closed by the server");
                return;
            }
            _ = stopping.cancelled(), if !graceful => {
                conn.as_mut().graceful_shutdown();
                graceful = true;
            }
        }
    }
}

/// A response body that keeps its request counted as in progress until it is sent or dropped.
struct BusyBody {
    inner: Body,
    _busy: Busy,
}

impl http_body::Body for BusyBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The TCP stream, failing writes that make no progress for `send_timeout` (a client that
/// stopped reading its response).
struct WatchedIo {
    inner: TcpStream,
    send_timeout: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl WatchedIo {
    fn new(inner: TcpStream, send_timeout: Duration) -> Self {
        WatchedIo {
            inner,
            send_timeout,
            stalled: None,
        }
    }

    /// Passes a write's result on; a write that cannot progress fails once it has not for
    /// `send_timeout`.
    fn watch(&mut self, cx: &mut Context<'_>, res: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if res.is_ready() {
            self.stalled = None;
            return res;
        }
        let timeout = self.send_timeout;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading the response",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for WatchedIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write(cx, data);
        self.watch(cx, res)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, res)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
