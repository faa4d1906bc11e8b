//! Chunked uploads on S3 as one multipart upload (`object_store::multipart::MultipartStore`):
//! the parts are the chunks, every part but the last at least `MIN_PART` bytes. Bytes that do
//! not make a part yet (a small chunk, or what is left of one) wait in a tail object and are
//! prepended to the next part. The state (`MultipartState`: the S3 upload id, the parts' ETags
//! and sizes, the tail object's key) is kept by the caller with the upload's row, so any node
//! sharing the bucket continues the upload. Finishing completes the multipart upload under
//! `uploads/<id>` and moves the object to its digest's key (a copy inside the S3 server: no
//! byte passes through Trove). Objects live under `uploads/`, never under `blobs/`.

use crate::sha256::RunningSha256;
use crate::{BlobStore, Result, StorageError};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, PutPayload};
use tokio::io::AsyncReadExt;
use trove_core::Digest;

/// S3's smallest part (except the last).
pub const MIN_PART: u64 = 5 * 1024 * 1024;
/// Largest part written at once: a chunk bigger than this is cut into parts of this size.
const MAX_PART: usize = 16 * 1024 * 1024;

/// Where a multipart upload stands (kept with the upload's database row).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MultipartState {
    /// The S3 multipart upload, created with the first part.
    pub upload_id: Option<String>,
    /// The parts written, in order.
    pub parts: Vec<Part>,
    /// The object holding the bytes after the last part (fewer than `MIN_PART`).
    pub tail: Option<String>,
}

impl MultipartState {
    /// Whether appending `chunk` bytes to an upload of `size` bytes in this state writes a
    /// part while no multipart upload exists yet (the tail and the chunk reach `MIN_PART`).
    pub fn needs_upload(&self, size: u64, chunk: u64) -> bool {
        let in_parts: u64 = self.parts.iter().map(|p| p.size).sum();
        self.upload_id.is_none() && size.saturating_sub(in_parts) + chunk >= MIN_PART
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Part {
    pub etag: String,
    pub size: u64,
}

impl BlobStore {
    /// Whether chunked uploads become S3 multipart uploads here (the S3 store).
    pub fn multipart_uploads(&self) -> bool {
        self.signer.is_some()
    }

    fn s3(&self) -> Result<&object_store::aws::AmazonS3> {
        self.signer
            .as_deref()
            .ok_or_else(|| StorageError::Config("multipart uploads need the S3 store".into()))
    }

    fn uploads_key(&self, rel: &str) -> Result<ObjPath> {
        if rel.is_empty() || !rel.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
            return Err(StorageError::Config("invalid upload id".into()));
        }
        Ok(if self.prefix.is_empty() {
            ObjPath::from(format!("uploads/{rel}"))
        } else {
            ObjPath::from(format!("{}/uploads/{rel}", self.prefix))
        })
    }

    /// Creates the S3 multipart upload for the upload `id`; returns its S3 upload id. The
    /// caller records it (see [`MultipartState::needs_upload`]) before any part is written.
    pub async fn create_multipart(&self, id: &str) -> Result<String> {
        Ok(self.s3()?.create_multipart(&self.uploads_key(id)?).await?)
    }

    /// Aborts the S3 multipart upload `upload_id` of the upload `id` (its parts go); a missing
    /// one is fine.
    pub async fn abort_multipart_upload(&self, id: &str, upload_id: &str) -> Result<()> {
        let key = self.uploads_key(id)?;
        match self.s3()?.abort_multipart(&key, &upload_id.to_string()).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn put_upload_part(&self, id: &str, state: &mut MultipartState, bytes: Vec<u8>) -> Result<()> {
        let s3 = self.s3()?;
        let key = self.uploads_key(id)?;
        // Parts go only to a multipart upload the caller recorded first, so every part
        // belongs to an upload a row names (and that cancel or expiry aborts).
        let upload_id = state
            .upload_id
            .clone()
            .ok_or_else(|| StorageError::Config("no multipart upload was begun for these parts".into()))?;
        let size = bytes.len() as u64;
        let PartId { content_id } = s3
            .put_part(&key, &upload_id, state.parts.len(), PutPayload::from(bytes))
            .await?;
        state.parts.push(Part { etag: content_id, size });
        Ok(())
    }

    /// Appends the file `chunk` to the upload `id`: the tail and the chunk become parts of at
    /// least `MIN_PART` bytes, what is left the new tail (an object named with `nonce`, so a
    /// concurrent request's tail is another object). `hash` continues over the chunk. The old
    /// tail is not removed (the caller removes it once the new state is recorded). When
    /// [`MultipartState::needs_upload`] says so, `state` must name a multipart upload
    /// ([`BlobStore::create_multipart`]).
    pub async fn append_multipart(
        &self,
        id: &str,
        state: &MultipartState,
        mut hash: RunningSha256,
        chunk: &std::path::Path,
        nonce: &str,
    ) -> Result<(MultipartState, RunningSha256)> {
        let mut next = state.clone();
        next.tail = None;
        let mut buf = match &state.tail {
            Some(t) => self
                .inner
                .get(&ObjPath::from(t.as_str()))
                .await?
                .bytes()
                .await?
                .to_vec(),
            None => Vec::new(),
        };
        let mut file = tokio::fs::File::open(chunk).await?;
        let mut read = vec![0u8; 1 << 20];
        let mut any = false;
        loop {
            let n = file.read(&mut read).await?;
            if n == 0 {
                break;
            }
            any = true;
            hash.update(&read[..n]);
            buf.extend_from_slice(&read[..n]);
            if buf.len() >= MAX_PART {
                let rest = buf.split_off(MAX_PART);
                let part = std::mem::replace(&mut buf, rest);
                self.put_upload_part(id, &mut next, part).await?;
            }
        }
        if !any {
            return Ok((state.clone(), hash));
        }
        if buf.len() as u64 >= MIN_PART {
            self.put_upload_part(id, &mut next, buf).await?;
        } else if !buf.is_empty() {
            let key = self.uploads_key(&format!("{id}.tail-{nonce}"))?;
            self.inner.put(&key, PutPayload::from(buf)).await?;
            next.tail = Some(key.to_string());
        }
        Ok((next, hash))
    }

    /// Removes a tail object no state refers to any more (missing is fine).
    pub async fn remove_upload_tail(&self, tail: &str) -> Result<()> {
        match self.inner.delete(&ObjPath::from(tail)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Makes the upload's bytes the blob `digest` (the caller checked the digest): the tail
    /// becomes the last part, the multipart upload is completed and the object moved to the
    /// digest's key. An upload without parts moves its tail (or stores an empty blob).
    pub async fn complete_multipart(&self, id: &str, state: &MultipartState, digest: &Digest) -> Result<()> {
        let to = self.key(digest);
        let mut state = state.clone();
        let Some(upload_id) = state.upload_id.clone() else {
            match &state.tail {
                Some(t) => self.inner.rename(&ObjPath::from(t.as_str()), &to).await?,
                None => {
                    self.inner.put(&to, PutPayload::default()).await?;
                }
            }
            return Ok(());
        };
        if let Some(t) = state.tail.take() {
            let bytes = self.inner.get(&ObjPath::from(t.as_str())).await?.bytes().await?;
            self.put_upload_part(id, &mut state, bytes.to_vec()).await?;
            state.tail = Some(t);
        }
        let key = self.uploads_key(id)?;
        let parts = state
            .parts
            .iter()
            .map(|p| PartId {
                content_id: p.etag.clone(),
            })
            .collect();
        self.s3()?.complete_multipart(&key, &upload_id, parts).await?;
        self.inner.rename(&key, &to).await?;
        if let Some(t) = &state.tail {
            self.remove_upload_tail(t).await?;
        }
        Ok(())
    }

    /// Drops an upload (cancelled, expired, or refused): aborts its multipart upload and
    /// removes its tail and any completed object.
    pub async fn abort_multipart(&self, id: &str, state: &MultipartState) -> Result<()> {
        let key = self.uploads_key(id)?;
        if let Some(u) = &state.upload_id {
            match self.s3()?.abort_multipart(&key, u).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(t) = &state.tail {
            self.remove_upload_tail(t).await?;
        }
        self.remove_upload_tail(key.as_ref()).await
    }

    /// Objects under `uploads/` (tails, completed uploads not yet moved): for tests and checks.
    pub async fn upload_objects(&self) -> Result<Vec<String>> {
        Ok(self.list_upload_objects().await?.into_iter().map(|o| o.key).collect())
    }

    /// Every object under `uploads/`, with the upload it belongs to (for sweeping leftovers).
    pub async fn list_upload_objects(&self) -> Result<Vec<UploadObject>> {
        use futures::StreamExt;
        let root = if self.prefix.is_empty() {
            ObjPath::from("uploads")
        } else {
            ObjPath::from(format!("{}/uploads", self.prefix))
        };
        let mut out = Vec::new();
        let mut list = self.inner.list(Some(&root));
        while let Some(meta) = list.next().await {
            let meta = meta?;
            let name = meta.location.filename().unwrap_or_default();
            let upload = name.split_once(".tail-").map_or(name, |(id, _)| id).to_string();
            out.push(UploadObject {
                key: meta.location.to_string(),
                upload,
                size: meta.size as u64,
                modified_ms: meta.last_modified.timestamp_millis(),
            });
        }
        Ok(out)
    }
}

/// An object under `uploads/`: a tail (`<upload>.tail-<nonce>`) or a completed multipart
/// upload not yet moved to its digest's key (`<upload>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadObject {
    pub key: String,
    /// The id of the upload it belongs to.
    pub upload: String,
    pub size: u64,
    pub modified_ms: i64,
}
