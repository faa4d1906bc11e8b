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

/// Gets a file's written bytes to disk while the body still arrives, so the flush that ends
/// an upload (before it is acknowledged) has little left to wait for. Every `EVERY` bytes a
/// background thread (one per file, started with the first flush) starts the disk work: on
/// Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)` over the file, which queues the dirty pages
/// for writing and returns without waiting for them or for a journal commit, so the disk
/// writes continuously and at the end only the last few MiB are in flight (a background
/// `fdatasync` every 16 MiB, as elsewhere, left up to 32 MiB for the final flush: 5–6 ms of
/// every chunk of a chunked upload); elsewhere `fdatasync`. Durability is unchanged: the
/// caller still flushes the file before it answers.
pub(crate) struct Flusher {
    file: Option<std::fs::File>,
    unflushed: u64,
    kick: Option<std::sync::mpsc::SyncSender<()>>,
    running: Option<std::thread::JoinHandle<()>>,
}

impl Flusher {
    #[cfg(target_os = "linux")]
    const EVERY: u64 = 2 * 1024 * 1024;
    #[cfg(not(target_os = "linux"))]
    const EVERY: u64 = 16 * 1024 * 1024;

    pub(crate) fn new(file: &std::fs::File) -> Self {
        Flusher {
            file: file.try_clone().ok(),
            unflushed: 0,
            kick: None,
            running: None,
        }
    }

    pub(crate) fn wrote(&mut self, n: usize) {
        self.unflushed += n as u64;
        if self.unflushed < Self::EVERY {
            return;
        }
        self.unflushed = 0;
        if self.kick.is_none() {
            self.start();
        }
        // A flush already asked for covers these bytes too (it flushes the whole file).
        if let Some(kick) = &self.kick {
            let _ = kick.try_send(());
        }
    }

    fn start(&mut self) {
        let Some(file) = self.file.take() else {
            return;
        };
        let (kick, asked) = std::sync::mpsc::sync_channel::<()>(1);
        let spawned = std::thread::Builder::new().name("trove-flush".into()).spawn(move || {
            while asked.recv().is_ok() {
                // Best effort: the final flush reports errors.
                let _ = start_writeback(&file);
            }
        });
        if let Ok(t) = spawned {
            self.kick = Some(kick);
            self.running = Some(t);
        }
    }

    /// Waits for the flush in progress (its handle on the file closed). Blocking.
    pub(crate) fn wait(mut self) {
        self.file = None;
        self.kick = None;
        if let Some(t) = self.running.take() {
            let _ = t.join();
        }
    }
}

#[cfg(target_os = "linux")]
fn start_writeback(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // Offset 0 and length 0: the whole file; pages already written or queued are skipped.
    // SAFETY: a plain system call on a descriptor this thread owns.
    let r = unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(file: &std::fs::File) -> std::io::Result<()> {
    file.sync_data()
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
