//! Staging request bodies: streamed to a local file while hashed, bounded in size.

use crate::{ErrorKind, Result, ServiceError};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use trove_storage::{StagedBlob, StagingError};

/// What a body may be, and how a front-end names its refusals (each protocol has its own
/// error codes; the kinds, and so the statuses, are the same everywhere).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    /// Most bytes accepted.
    pub max: u64,
    /// What the body is, for messages (`archive`, `blob`, …).
    pub what: &'static str,
    /// Code of the 413 refusal.
    pub too_large_code: &'static str,
    /// Code of the 400 answer when reading the body fails.
    pub read_failed_code: &'static str,
}

impl BodyLimit {
    fn too_large(&self) -> ServiceError {
        ServiceError::new(
            ErrorKind::TooLarge,
            self.too_large_code,
            format!("the {} is larger than the limit of {} bytes", self.what, self.max),
        )
    }
}

impl crate::blobs::Blobs<'_> {
    /// Streams a request body into a finished staged blob (hashed, flushed). A declared
    /// `Content-Length` over the limit is refused before anything is read; a body that grows
    /// past it is refused as soon as it does. Refused bodies are drained (bounded) so that
    /// ordinary clients still writing them receive the answer rather than a reset connection.
    pub async fn stage_body<S, E>(&self, body: &mut S, declared: Option<u64>, limit: BodyLimit) -> Result<StagedBlob>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        if declared.is_some_and(|n| n > limit.max) {
            drain(body).await;
            return Err(limit.too_large());
        }
        let mut staged = self.store.stage().await?;
        match staged.write_stream(body, limit.max).await {
            Ok(()) => {}
            Err(StagingError::TooLarge { .. }) => {
                drain(body).await;
                return Err(limit.too_large());
            }
            Err(StagingError::Body(e)) => {
                return Err(ServiceError::bad_request(
                    limit.read_failed_code,
                    format!("reading the request body failed: {e}"),
                ))
            }
            Err(other) => return Err(other.into()),
        }
        staged.finish().await?;
        Ok(staged)
    }
}

/// Reads and discards a bounded amount of a refused body, so that clients still writing it
/// receive the answer instead of a reset connection. Huge bodies are cut off.
pub async fn drain<S, E>(body: &mut S)
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
{
    let mut left: usize = 8 * 1024 * 1024;
    while let Some(Ok(chunk)) = body.next().await {
        match left.checked_sub(chunk.len()) {
            Some(l) => left = l,
            None => break,
        }
    }
}
