//! Uploads in progress: bytes are written to a temporary file while their sha256 and size
//! are computed. The file disappears when the `StagedBlob` is dropped.

use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use trove_core::Digest;

#[derive(Debug, thiserror::Error)]
pub enum StagingError {
    #[error("upload exceeds the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("upload failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("reading the request body failed: {0}")]
    Body(String),
}

/// A staging file and the hash of what it holds, written on a blocking thread.
struct HashingFile {
    file: std::fs::File,
    hasher: Sha256,
    flusher: crate::pump::Flusher,
}

impl crate::pump::Sink for HashingFile {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        self.file.write_all(bytes)?;
        self.hasher.update(bytes);
        self.flusher.wrote(bytes.len());
        Ok(())
    }
}

pub struct StagedBlob {
    file: Option<tokio::fs::File>,
    temp: tempfile::TempPath,
    hasher: Sha256,
    size: u64,
    digest: Option<Digest>,
}

impl StagedBlob {
    pub(crate) async fn new(dir: &Path) -> std::io::Result<Self> {
        let named = tempfile::Builder::new().prefix("upload-").tempfile_in(dir)?;
        let (std_file, temp) = named.into_parts();
        Ok(StagedBlob {
            file: Some(tokio::fs::File::from_std(std_file)),
            temp,
            hasher: Sha256::new(),
            size: 0,
            digest: None,
        })
    }

    /// Appends bytes, refusing to grow past `limit`.
    pub async fn write(&mut self, chunk: &[u8], limit: u64) -> Result<(), StagingError> {
        if self.size + chunk.len() as u64 > limit {
            return Err(StagingError::TooLarge { limit });
        }
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("blob already finished"))?;
        file.write_all(chunk).await?;
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        Ok(())
    }

    /// Streams a request body in (see [`crate::pump`]), refusing to grow past `limit`.
    /// `Body` carries a failure to read the body.
    pub async fn write_stream<S, E>(&mut self, body: &mut S, limit: u64) -> Result<(), StagingError>
    where
        S: futures::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| std::io::Error::other("blob already finished"))?;
        file.flush().await?;
        let file = file.into_std().await;
        let sink = HashingFile {
            flusher: crate::pump::Flusher::new(&file),
            file,
            hasher: std::mem::take(&mut self.hasher),
        };
        let (sink, res) = crate::pump::pump(body, limit - self.size.min(limit), sink).await;
        self.file = Some(tokio::fs::File::from_std(sink.file));
        self.hasher = sink.hasher;
        match res {
            Ok(n) => {
                self.size += n;
                Ok(())
            }
            Err(crate::pump::PumpError::TooLarge) => Err(StagingError::TooLarge { limit }),
            Err(crate::pump::PumpError::Body(e)) => Err(StagingError::Body(e)),
            Err(crate::pump::PumpError::Io(e)) => Err(e.into()),
        }
    }

    /// Flushes what was written so far to disk (the blob stays open for more).
    pub async fn sync(&mut self) -> Result<(), StagingError> {
        if let Some(file) = self.file.as_mut() {
            file.flush().await?;
            file.sync_data().await?;
        }
        Ok(())
    }

    /// Flushes the file to disk and fixes the digest.
    pub async fn finish(&mut self) -> Result<Digest, StagingError> {
        if let Some(mut file) = self.file.take() {
            file.flush().await?;
            file.sync_all().await?;
            let digest = Digest::from_sha256_bytes(&std::mem::take(&mut self.hasher).finalize());
            self.digest = Some(digest);
        }
        // No digest here means an earlier finish failed while flushing: the upload is lost.
        self.digest
            .clone()
            .ok_or_else(|| std::io::Error::other("upload failed while finishing").into())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn digest(&self) -> Option<Digest> {
        self.digest.clone()
    }

    pub fn path(&self) -> &Path {
        &self.temp
    }

    pub fn path_buf(&self) -> PathBuf {
        self.temp.to_path_buf()
    }
}
