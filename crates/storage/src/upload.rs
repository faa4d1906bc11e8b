//! Chunked uploads appended in place (filesystem store): one file per upload under
//! `uploads/` in the store's directory, so every node sharing the store can continue it.
//! Each request holds the file's exclusive lock (`flock`) while it writes; a chunk is written
//! from the upload's recorded size (bytes past it, from a request that failed before it was
//! recorded, are cut off first), hashed as it is written (continuing the saved state) and
//! flushed before the caller records the new size. A file shorter than the recorded size
//! (damaged or removed behind the store's back) is `AppendError::Lost`, never padded: its
//! bytes would not match the saved hash state. Finishing renames the file to its digest's
//! place in the store: the bytes are written once and the closing request is O(1).

use crate::pump::{pump, PumpError, Sink};
use crate::sha256::RunningSha256;
use crate::{BlobStore, StorageError};
use bytes::Bytes;
use futures::Stream;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use trove_core::Digest;

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("upload exceeds the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// Another request is writing this upload.
    #[error("another request is writing this upload")]
    Busy,
    #[error("reading the request body failed: {0}")]
    Body(String),
    /// The upload's file holds fewer bytes than were recorded (and acknowledged): it was
    /// damaged or removed behind the store's back. Nothing is written; the recorded hash
    /// state no longer describes the file.
    #[error("the upload's file has {len} bytes but {recorded} were recorded")]
    Lost { len: u64, recorded: u64 },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<std::io::Error> for AppendError {
    fn from(e: std::io::Error) -> Self {
        AppendError::Storage(StorageError::Io(e))
    }
}

/// An upload's file, locked for the request that opened it (the lock goes with the value).
pub struct UploadFile {
    file: Option<std::fs::File>,
    path: PathBuf,
}

struct Appending {
    file: std::fs::File,
    hash: RunningSha256,
    flusher: crate::pump::Flusher,
}

impl Sink for Appending {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes)?;
        self.hash.update(bytes);
        self.flusher.wrote(bytes.len());
        Ok(())
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> std::io::Result<T> + Send + 'static) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(std::io::Error::other)?
}

impl BlobStore {
    /// Whether chunked uploads are appended in place here (the filesystem store); elsewhere
    /// each chunk is stored as a blob of its own.
    pub fn appends_uploads(&self) -> bool {
        self.fs_root.is_some()
    }

    fn uploads_dir(&self) -> Option<PathBuf> {
        self.fs_root.as_ref().map(|r| r.join("uploads"))
    }

    fn upload_path(&self, id: &str) -> Result<PathBuf, StorageError> {
        let dir = self
            .uploads_dir()
            .ok_or_else(|| StorageError::Config("uploads are appended in place only on the filesystem store".into()))?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(StorageError::Config("invalid upload id".into()));
        }
        Ok(dir.join(id))
    }

    /// Opens (creating) the upload's file with its exclusive lock; `Busy` when another request
    /// holds it.
    pub async fn open_upload(&self, id: &str) -> Result<UploadFile, AppendError> {
        let path = self.upload_path(id)?;
        let p = path.clone();
        let file = blocking(move || {
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&p)?;
            match file.try_lock() {
                Ok(()) => Ok(Some(file)),
                Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                Err(std::fs::TryLockError::Error(e)) => Err(e),
            }
        })
        .await?;
        match file {
            Some(f) => Ok(UploadFile { file: Some(f), path }),
            None => Err(AppendError::Busy),
        }
    }

    /// Removes an upload's file (cancelled, expired); a missing one is fine.
    pub async fn remove_upload(&self, id: &str) -> Result<(), StorageError> {
        if self.fs_root.is_none() {
            return Ok(());
        }
        let path = self.upload_path(id)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Where the blob `digest` lives on the filesystem store.
    fn blob_path(&self, digest: &Digest) -> Option<PathBuf> {
        self.fs_root.as_ref().map(|r| r.join(self.key(digest).as_ref()))
    }

    /// Files in `uploads/` (for tests and sweeps).
    pub fn upload_files(&self) -> usize {
        self.uploads_dir()
            .and_then(|d| std::fs::read_dir(d).ok())
            .map_or(0, |r| r.count())
    }

    pub(crate) fn uploads_dir_for_sweep(&self) -> Option<PathBuf> {
        self.uploads_dir()
    }
}

impl UploadFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `body` from byte `offset` (cutting off anything past it), continuing `hash` (the
    /// state over the first `offset` bytes), at most `limit` bytes in all; flushed to disk
    /// before it returns the new state.
    pub async fn append<S, E>(
        &mut self,
        offset: u64,
        hash: RunningSha256,
        body: &mut S,
        limit: u64,
    ) -> Result<RunningSha256, AppendError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        if hash.len() != offset {
            return Err(StorageError::Config("hash state does not match the upload's size".into()).into());
        }
        let file = self
            .file
            .take()
            .ok_or_else(|| std::io::Error::other("upload file already used"))?;
        let (file, len) = blocking(move || {
            let mut file = file;
            let len = file.metadata()?.len();
            if len > offset {
                file.set_len(offset)?;
            }
            file.seek(SeekFrom::Start(offset))?;
            Ok((file, len))
        })
        .await?;
        if len < offset {
            self.file = Some(file);
            return Err(AppendError::Lost { len, recorded: offset });
        }
        let sink = Appending {
            flusher: crate::pump::Flusher::new(&file),
            file,
            hash,
        };
        let (sink, res) = pump(body, limit.saturating_sub(offset), sink).await;
        let Appending { file, hash, flusher } = sink;
        // The background flush holds the file (and so its lock) until it ends.
        let file = match res {
            Ok(_) => {
                blocking(move || {
                    flusher.wait();
                    file.sync_data()?;
                    Ok(file)
                })
                .await?
            }
            Err(e) => {
                blocking(move || {
                    flusher.wait();
                    Ok(())
                })
                .await?;
                self.file = Some(file);
                return Err(match e {
                    PumpError::TooLarge => AppendError::TooLarge { limit },
                    PumpError::Body(e) => AppendError::Body(e),
                    PumpError::Io(e) => e.into(),
                });
            }
        };
        self.file = Some(file);
        Ok(hash)
    }

    /// `Lost` when the file holds fewer than the `recorded` bytes (see [`AppendError::Lost`]).
    pub async fn check_len(&self, recorded: u64) -> Result<(), AppendError> {
        let file = self
            .file
            .as_ref()
            .ok_or_else(|| std::io::Error::other("upload file already used"))?;
        let len = file.metadata()?.len();
        if len < recorded {
            return Err(AppendError::Lost { len, recorded });
        }
        Ok(())
    }

    /// Makes the upload's first `size` bytes the blob `digest` (the caller checked the
    /// digest): the file is cut to `size`, flushed and renamed into the store, and the new
    /// name made durable. An existing blob (same bytes) is kept and the file removed.
    pub async fn commit(mut self, store: &BlobStore, size: u64, digest: &Digest) -> Result<(), StorageError> {
        let to = store
            .blob_path(digest)
            .ok_or_else(|| StorageError::Config("not a filesystem store".into()))?;
        let file = self
            .file
            .take()
            .ok_or_else(|| std::io::Error::other("upload file already used"))?;
        let from = self.path.clone();
        blocking(move || commit_file(file, &from, &to, size)).await?;
        Ok(())
    }
}

fn commit_file(file: std::fs::File, from: &Path, to: &Path, size: u64) -> std::io::Result<()> {
    let len = file.metadata()?.len();
    if len < size {
        return Err(std::io::Error::other(format!(
            "upload file has {len} bytes, {size} were recorded"
        )));
    }
    if len > size {
        file.set_len(size)?;
        file.sync_all()?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    let dir = to
        .parent()
        .ok_or_else(|| std::io::Error::other("blob path has no parent"))?;
    std::fs::create_dir_all(dir)?;
    if std::fs::symlink_metadata(to).is_ok() {
        std::fs::remove_file(from)?;
        return Ok(());
    }
    std::fs::rename(from, to)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}
