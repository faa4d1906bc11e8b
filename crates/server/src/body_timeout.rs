//! Request bodies must keep arriving: a body that sends nothing for `timeout`, or whose
//! average rate stays below `min_rate` once `grace` has passed, fails the handler reading it;
//! the client gets `408 Request Timeout` (the connection is then closed), and whatever the
//! handler had staged is dropped with it. A slow-loris upload can hold a worker and a staging
//! file only that long.

use crate::conn::ConnState;
use axum::response::Response;
use hyper::body::{Frame, Incoming, SizeHint};
use std::future::Future as _;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::time::Sleep;

#[derive(Debug, Clone)]
pub struct BodyLimits {
    /// Longest wait for the next bytes of a body.
    pub timeout: Duration,
    /// Least average rate in bytes per second (0: no minimum), enforced after `grace`
    /// (`body_timeout_secs`).
    pub min_rate: u64,
    pub grace: Duration,
}

/// Why a body was cut off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Stalled,
    TooSlow,
}

/// Whether the body of a request was cut off (shared between the body and the code that
/// turns the handler's answer into a 408).
#[derive(Clone, Default)]
pub struct Outcome(Arc<OnceLock<Reason>>);

impl Outcome {
    pub fn get(&self) -> Option<Reason> {
        self.0.get().copied()
    }
}

#[derive(Debug)]
pub struct BodyTimeout(&'static str);

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for BodyTimeout {}

pub struct TimedBody {
    inner: Incoming,
    limits: BodyLimits,
    conn: Arc<ConnState>,
    started: Option<Instant>,
    last: Instant,
    bytes: u64,
    /// Armed when the body is first read (bodies nobody reads cost no timer).
    sleep: Option<Pin<Box<Sleep>>>,
    outcome: Outcome,
}

impl TimedBody {
    pub(crate) fn new(inner: Incoming, limits: BodyLimits, conn: Arc<ConnState>) -> Self {
        TimedBody {
            inner,
            sleep: None,
            limits,
            conn,
            started: None,
            last: Instant::now(),
            bytes: 0,
            outcome: Outcome::default(),
        }
    }

    pub fn outcome(&self) -> Outcome {
        self.outcome.clone()
    }

    /// When the body fails if no more bytes arrive.
    fn deadline(&self) -> Instant {
        let stall = self.last + self.limits.timeout;
        match (self.started, self.limits.min_rate) {
            (Some(started), rate) if rate > 0 => {
                let earned = Duration::from_secs_f64(self.bytes as f64 / rate as f64);
                stall.min(started + earned.max(self.limits.grace))
            }
            _ => stall,
        }
    }

    fn rearm(&mut self) {
        let at = self.deadline().into();
        match &mut self.sleep {
            Some(sleep) => sleep.as_mut().reset(at),
            None => self.sleep = Some(Box::pin(tokio::time::sleep_until(at))),
        }
    }

    /// Whether the timer has fired (registering the waker when it has not).
    fn timer_fired(&mut self, cx: &mut Context<'_>) -> bool {
        self.sleep.as_mut().is_some_and(|s| s.as_mut().poll(cx).is_ready())
    }

    fn fail(&mut self) -> BodyTimeout {
        let now = Instant::now();
        let reason = if now >= self.last + self.limits.timeout {
            Reason::Stalled
        } else {
            Reason::TooSlow
        };
        let _ = self.outcome.0.set(reason);
        self.conn.body_waiting(false);
        metrics::counter!("trove_request_body_timeouts_total", "reason" => reason_label(reason)).increment(1);
        BodyTimeout(match reason {
            Reason::Stalled => "the request body stalled",
            Reason::TooSlow => "the request body arrives too slowly",
        })
    }
}

fn reason_label(r: Reason) -> &'static str {
    match r {
        Reason::Stalled => "stalled",
        Reason::TooSlow => "too_slow",
    }
}

impl hyper::body::Body for TimedBody {
    type Data = bytes::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if self.outcome.get().is_some() {
            return Poll::Ready(Some(Err("the request body timed out".into())));
        }
        if self.started.is_none() {
            let now = Instant::now();
            self.started = Some(now);
            self.last = now;
            self.rearm();
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                self.conn.body_waiting(false);
                if let Some(d) = frame.data_ref() {
                    if !d.is_empty() {
                        self.bytes += d.len() as u64;
                        self.last = Instant::now();
                        self.rearm();
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                self.conn.body_waiting(false);
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Ready(None) => {
                self.conn.body_waiting(false);
                Poll::Ready(None)
            }
            Poll::Pending => {
                self.conn.body_waiting(true);
                if self.timer_fired(cx) {
                    if Instant::now() >= self.deadline() {
                        let e = self.fail();
                        return Poll::Ready(Some(Err(e.into())));
                    }
                    // Bytes arrived since the timer was set: wait for the new deadline.
                    self.rearm();
                    let _ = self.timer_fired(cx);
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The answer to a request whose body was cut off: 408, and the connection is closed (the
/// rest of the body is not read).
pub fn refusal(path: &str, reason: Reason) -> Response {
    let message = match reason {
        Reason::Stalled => "the request body stopped arriving; send it again",
        Reason::TooSlow => "the request body arrived too slowly; send it again over a faster connection",
    };
    let mut res = crate::edge::error_response(
        path,
        http::StatusCode::REQUEST_TIMEOUT,
        trove_http::edge::ErrorCode::RequestTimeout,
        message,
    );
    res.headers_mut()
        .insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
    res
}
