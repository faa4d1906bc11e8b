//! Request bodies to disk: the body's frames (often a few KiB each) are gathered into 1 MiB
//! buffers on the runtime thread and written and hashed by one blocking thread per body, so
//! receiving, writing and hashing overlap and a 100 MiB body costs ~100 hand-offs instead of
//! one per frame (`tokio::fs::File` hands every write to a new blocking task, and hashing on
//! the runtime thread stalls the connection). At most `BUFFERS` buffers exist per body, reused.

use bytes::Bytes;
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;

const BUF: usize = 1024 * 1024;
const BUFFERS: usize = 3;

/// Starts flushing a file's written bytes to disk in the background every `EVERY` bytes, so
/// the flush that ends an upload (before it is acknowledged) has little left to write: the
/// disk works while the body is still arriving. At most one flush runs at a time per file.
pub(crate) struct Flusher {
    file: Option<std::fs::File>,
    unflushed: u64,
    running: Option<std::thread::JoinHandle<()>>,
}

impl Flusher {
    const EVERY: u64 = 16 * 1024 * 1024;

    pub(crate) fn new(file: &std::fs::File) -> Self {
        Flusher {
            file: file.try_clone().ok(),
            unflushed: 0,
            running: None,
        }
    }

    pub(crate) fn wrote(&mut self, n: usize) {
        self.unflushed += n as u64;
        if self.unflushed < Self::EVERY || self.running.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        self.unflushed = 0;
        let Some(file) = self.file.as_ref().and_then(|f| f.try_clone().ok()) else {
            return;
        };
        // Best effort: the final flush reports errors.
        self.running = Some(std::thread::spawn(move || {
            let _ = file.sync_data();
        }));
    }

    /// Waits for the flush in progress (its handle on the file closed). Blocking.
    pub(crate) fn wait(mut self) {
        self.file = None;
        if let Some(t) = self.running.take() {
            let _ = t.join();
        }
    }
}

/// Where the bytes go, on the blocking thread.
pub(crate) trait Sink: Send + 'static {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()>;
}

#[derive(Debug)]
pub(crate) enum PumpError {
    /// The body would grow past the limit (the bytes so far were written).
    TooLarge,
    /// Reading the body failed.
    Body(String),
    Io(std::io::Error),
}

/// Streams `body` into `sink`, at most `max` bytes. Returns the sink (whatever happened) and
/// the bytes written, or the error.
pub(crate) async fn pump<S, E, K>(body: &mut S, max: u64, sink: K) -> (K, Result<u64, PumpError>)
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
    K: Sink,
{
    let (full_tx, mut full_rx) = mpsc::channel::<Vec<u8>>(BUFFERS);
    let (free_tx, mut free_rx) = mpsc::channel::<Vec<u8>>(BUFFERS);
    let writer = tokio::task::spawn_blocking(move || {
        let mut sink = sink;
        let mut res = Ok(());
        while let Some(mut buf) = full_rx.blocking_recv() {
            if res.is_ok() {
                res = sink.put(&buf);
            }
            buf.clear();
            let _ = free_tx.try_send(buf);
        }
        (sink, res)
    });
    let mut made = 0;
    let mut total: u64 = 0;
    let mut buf: Vec<u8> = Vec::new();
    let mut outcome = Ok(());
    'body: while let Some(frame) = body.next().await {
        let mut frame = match frame {
            Ok(f) => f,
            Err(e) => {
                outcome = Err(PumpError::Body(e.to_string()));
                break;
            }
        };
        if total + frame.len() as u64 > max {
            outcome = Err(PumpError::TooLarge);
            break;
        }
        total += frame.len() as u64;
        while !frame.is_empty() {
            if buf.capacity() == 0 {
                buf = match free_rx.try_recv() {
                    Ok(b) => b,
                    Err(_) if made < BUFFERS => {
                        made += 1;
                        Vec::with_capacity(BUF)
                    }
                    Err(_) => match free_rx.recv().await {
                        Some(b) => b,
                        None => break 'body, // the writer stopped: its error is below
                    },
                };
            }
            let take = (BUF - buf.len()).min(frame.len());
            buf.extend_from_slice(&frame.split_to(take));
            if buf.len() == BUF && full_tx.send(std::mem::take(&mut buf)).await.is_err() {
                break 'body;
            }
        }
    }
    if !buf.is_empty() {
        let _ = full_tx.send(buf).await;
    }
    drop(full_tx);
    let (sink, written) = match writer.await {
        Ok(r) => r,
        Err(e) => panic!("body writer panicked: {e}"),
    };
    let res = match (outcome, written) {
        (Err(e), _) => Err(e),
        (Ok(()), Err(e)) => Err(PumpError::Io(e)),
        (Ok(()), Ok(())) => Ok(total),
    };
    (sink, res)
}
