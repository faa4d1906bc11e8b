//! Blob uploads: monolithic, chunked and resumable. The upload's state is a database row, so
//! any node can continue or finish an upload. On the filesystem store its bytes are one file
//! appended in place (`appends`), on S3 one multipart upload (`multipart`); uploads started
//! without a hash state (before migration 0021) store every chunk as a blob of its own.
//! The node that took the chunks also joins them as they come, with the running hash
//! (`assembly`), so the final PUT only finishes the hash; otherwise it concatenates the
//! chunks (or reuses a single one). Either way it verifies the digest and stores the blob
//! once, shared by every repository.

use super::{codes, names, BlobInfo, OciAction, RepoName};
use crate::{audit, Ctx, ErrorKind, Result, ServiceError};
use futures::StreamExt;
use sha2::Digest as _;
use trove_core::digest::Algorithm;
use trove_core::{now_ms, Digest};
use trove_db::oci_uploads::{OciUpload, OciUploadPart};
use trove_storage::StagedBlob;

/// Where an upload stands.
#[derive(Debug, Clone)]
pub struct UploadState {
    pub id: String,
    /// Bytes received so far.
    pub size: u64,
}

pub(super) fn upload_unknown(id: &str) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        codes::BLOB_UPLOAD_UNKNOWN,
        format!(
            "upload `{}` is not known (finished, cancelled or expired)",
            id.chars().take(100).collect::<String>()
        ),
    )
}

pub(super) fn range_invalid(expected: i64, got: u64) -> ServiceError {
    ServiceError::new(
        ErrorKind::RangeNotSatisfiable,
        codes::RANGE_INVALID,
        format!("chunk starts at byte {got} but the upload has {expected} bytes: send chunks in order"),
    )
}

pub(super) fn digest_mismatch(claimed: &Digest, actual: &Digest) -> ServiceError {
    ServiceError::bad_request(
        codes::DIGEST_INVALID,
        format!("the uploaded content has digest {actual}, not {claimed}"),
    )
}

pub(super) fn too_large(limit: u64) -> ServiceError {
    ServiceError::new(
        ErrorKind::TooLarge,
        codes::SIZE_INVALID,
        format!("the blob is larger than the limit of {limit} bytes"),
    )
}

impl crate::oci::Oci<'_> {
    /// Makes a pushed blob (its bytes in place under `storage`) visible in the repository, in
    /// one transaction: the upload's row, when there is one, goes under its size's
    /// compare-and-set (404 when it was finished or cancelled meanwhile), the blob is recorded
    /// (once for every repository) and linked to the repository. Returns what the client is
    /// told.
    pub(super) async fn oci_publish_blob(
        &self,
        pkg: &trove_db::packages::Package,
        upload: Option<&OciUpload>,
        digest: &Digest,
        storage: &Digest,
        size: u64,
    ) -> Result<BlobInfo> {
        let mut tx = self.db.write().await?;
        if let Some(up) = upload {
            if !trove_db::oci_uploads::delete(&mut tx, &up.id, Some(up.size)).await? {
                return Err(upload_unknown(&up.id));
            }
        }
        let now = now_ms();
        let d = digest.to_string();
        trove_db::oci_blobs::insert_if_absent(&mut tx, &d, &storage.to_string(), size as i64, now).await?;
        trove_db::oci_blobs::link(&mut tx, pkg.id, &d, now).await?;
        tx.commit().await?;
        Ok(BlobInfo {
            digest: digest.clone(),
            storage: storage.clone(),
            size,
            private: pkg.is_private(),
        })
    }
}

impl crate::oci::Oci<'_> {
    /// Starts an upload session.
    pub async fn start_upload(&self, ctx: &Ctx, repo: &RepoName) -> Result<UploadState> {
        let pkg = self.repo(ctx, repo, OciAction::Push).await?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        let state = self.oci_initial_hash_state();
        let mut tx = self.db.write().await?;
        trove_db::oci_uploads::insert(
            &mut tx,
            &id,
            pkg.id,
            ctx.user().map(|u| u.id),
            state.as_deref(),
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok(UploadState { id, size: 0 })
    }

    pub(super) async fn oci_find_upload(
        &self,
        ctx: &Ctx,
        repo: &RepoName,
        id: &str,
    ) -> Result<(trove_db::packages::Package, OciUpload)> {
        let pkg = self.repo(ctx, repo, OciAction::Push).await?;
        let mut conn = self.db.conn().await?;
        let up = trove_db::oci_uploads::find(&mut conn, id)
            .await?
            .filter(|u| u.package_id == pkg.id)
            .ok_or_else(|| upload_unknown(id))?;
        Ok((pkg, up))
    }

    /// The state of an upload (for resuming it).
    pub async fn upload_status(&self, ctx: &Ctx, repo: &RepoName, id: &str) -> Result<UploadState> {
        let (_, up) = self.oci_find_upload(ctx, repo, id).await?;
        Ok(UploadState {
            id: up.id,
            size: up.size.max(0) as u64,
        })
    }

    /// Appends a finished staged chunk. `start` is the chunk's first byte from
    /// `Content-Range`; a chunk that does not start where the upload ends is refused (416).
    pub async fn append_upload(
        &self,
        ctx: &Ctx,
        repo: &RepoName,
        id: &str,
        start: Option<u64>,
        chunk: StagedBlob,
        max_blob_bytes: u64,
    ) -> Result<UploadState> {
        let (pkg, up) = self.oci_find_upload(ctx, repo, id).await?;
        self.quotas()
            .check_room(pkg.namespace_id, up.size.max(0) as u64 + chunk.size())
            .await?;
        let size = self.oci_append_part(&up, start, &chunk, max_blob_bytes).await?;
        Ok(UploadState { id: up.id, size })
    }

    async fn oci_append_part(&self, up: &OciUpload, start: Option<u64>, chunk: &StagedBlob, limit: u64) -> Result<u64> {
        if let Some(s) = start {
            if s != up.size as u64 {
                return Err(range_invalid(up.size, s));
            }
        }
        if chunk.size() == 0 {
            return Ok(up.size as u64);
        }
        if up.size as u64 + chunk.size() > limit {
            return Err(too_large(limit));
        }
        let storage = chunk
            .digest()
            .ok_or_else(|| ServiceError::internal("chunk upload not finished"))?;
        self.blobs().hold_blob(&storage).await?;
        let appended = async {
            self.blobs().store_staged(chunk).await?;
            let mut tx = self.db.write().await?;
            let ok = trove_db::oci_uploads::append_part(
                &mut tx,
                &up.id,
                up.size,
                &storage.to_string(),
                chunk.size() as i64,
                now_ms(),
            )
            .await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(ok)
        }
        .await;
        self.blobs().release_blob(&storage).await;
        if !appended? {
            // Another chunk got there first (or the upload ended): this chunk is not part of it.
            let _ = self.blobs().reclaim_blob(&storage).await;
            let mut conn = self.db.conn().await?;
            return match trove_db::oci_uploads::find(&mut conn, &up.id).await? {
                Some(now) => Err(range_invalid(now.size, up.size as u64)),
                None => Err(upload_unknown(&up.id)),
            };
        }
        if up.size > 0 {
            let first = self.oci_first_part(&up.id, up.size).await;
            self.upload_assemblies
                .follow(
                    &self.store,
                    &up.id,
                    up.size as u64,
                    chunk,
                    first.as_ref(),
                    self.oci_assembly_idle(),
                )
                .await;
        }
        Ok(up.size as u64 + chunk.size())
    }

    /// The upload's first chunk when it is the only one before the chunk just appended at
    /// `start` (then a joined file can start from it); `None` otherwise, or on any error.
    async fn oci_first_part(&self, id: &str, start: i64) -> Option<Digest> {
        if self.upload_assemblies.has(id) {
            return None;
        }
        let mut conn = self.db.conn().await.ok()?;
        let parts = trove_db::oci_uploads::parts(&mut conn, id).await.ok()?;
        match parts.as_slice() {
            [first, _] if first.part_offset == 0 && first.size == start => Digest::parse(&first.storage_digest).ok(),
            _ => None,
        }
    }

    /// How long a chunked upload's running state may sit idle: well within the age at which
    /// the leftovers sweep removes staging files.
    fn oci_assembly_idle(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.config.stale_upload_ms.max(0) as u64 / 2)
    }

    /// Finishes an upload with its final chunk (may be empty): verifies the whole content
    /// against `digest`, stores it once and makes it visible in the repository.
    pub async fn finish_upload(
        &self,
        ctx: &Ctx,
        repo: &RepoName,
        id: &str,
        digest: &str,
        last: Option<(Option<u64>, StagedBlob)>,
        max_blob_bytes: u64,
    ) -> Result<BlobInfo> {
        let digest = names::parse_digest(digest)?;
        let (pkg, mut up) = self.oci_find_upload(ctx, repo, id).await?;
        let last_size = last.as_ref().map_or(0, |(_, c)| c.size());
        let total = up.size.max(0) as u64 + last_size;
        match digest.algorithm() {
            // The bytes' storage key is their sha256: a blob the namespace holds adds nothing.
            Algorithm::Sha256 => self.quotas().check_blobs(pkg.namespace_id, &[(&digest, total)]).await?,
            Algorithm::Sha512 => self.quotas().check_room(pkg.namespace_id, total).await?,
        }
        if let Some((start, chunk)) = &last {
            let size = self.oci_append_part(&up, *start, chunk, max_blob_bytes).await?;
            up.size = size as i64;
        }
        let parts = {
            let mut conn = self.db.conn().await?;
            trove_db::oci_uploads::parts(&mut conn, &up.id).await?
        };
        let joined = self
            .upload_assemblies
            .take(&up.id, up.size as u64, self.oci_assembly_idle());
        let assembled = match joined {
            // This node joined every chunk as it came: only the hash is left to finish.
            Some(joined) if parts.len() > 1 && digest.algorithm() == Algorithm::Sha256 => {
                oci_finish_joined(joined, &digest).await?
            }
            _ => self.oci_assemble(&parts, &digest, max_blob_bytes).await?,
        };
        let storage = assembled.storage.clone();
        let size = assembled.size;
        self.blobs().hold_blob(&storage).await?;
        let committed = async {
            if let Some(staged) = &assembled.staged {
                self.blobs().store_staged(staged).await?;
            }
            self.oci_publish_blob(&pkg, Some(&up), &digest, &storage, size).await
        }
        .await;
        self.blobs().release_blob(&storage).await;
        let info = committed?;
        // The chunks were only the way there.
        let mut seen = std::collections::HashSet::new();
        for p in &parts {
            if p.storage_digest != storage.to_string() && seen.insert(p.storage_digest.clone()) {
                if let Ok(d) = Digest::parse(&p.storage_digest) {
                    if let Err(e) = self.blobs().reclaim_blob(&d).await {
                        tracing::warn!(error = %e, "could not remove an upload chunk; gc will");
                    }
                }
            }
        }
        tracing::debug!(repository = %repo, %digest, size, "blob pushed");
        Ok(info)
    }

    /// Joins the chunks of an upload and checks the digest. A single chunk is reused as is.
    async fn oci_assemble(&self, parts: &[OciUploadPart], digest: &Digest, limit: u64) -> Result<Assembled> {
        let parse = |s: &str| Digest::parse(s).map_err(|e| ServiceError::internal(e.to_string()));
        if let [only] = parts {
            let storage = parse(&only.storage_digest)?;
            let actual = match digest.algorithm() {
                Algorithm::Sha256 => storage.clone(),
                Algorithm::Sha512 => {
                    let mut h = sha2::Sha512::new();
                    let mut read = self.store.get(&storage, None).await?;
                    while let Some(chunk) = read.stream.next().await {
                        h.update(&chunk?);
                    }
                    Digest::from_sha512_bytes(&h.finalize())
                }
            };
            if &actual != digest {
                return Err(digest_mismatch(digest, &actual));
            }
            return Ok(Assembled {
                storage,
                size: only.size as u64,
                staged: None,
            });
        }
        let mut staged = self.store.stage().await?;
        let mut sha512 = (digest.algorithm() == Algorithm::Sha512).then(sha2::Sha512::new);
        for p in parts {
            let mut read = self.store.get(&parse(&p.storage_digest)?, None).await?;
            while let Some(chunk) = read.stream.next().await {
                let chunk = chunk?;
                if let Some(h) = sha512.as_mut() {
                    h.update(&chunk);
                }
                staged.write(&chunk, limit).await.map_err(|e| match e {
                    trove_storage::StagingError::TooLarge { limit } => too_large(limit),
                    other => ServiceError::internal(other.to_string()),
                })?;
            }
        }
        let sha256 = staged
            .finish()
            .await
            .map_err(|e| ServiceError::internal(e.to_string()))?;
        let actual = match sha512 {
            Some(h) => Digest::from_sha512_bytes(&h.finalize()),
            None => sha256.clone(),
        };
        if &actual != digest {
            return Err(digest_mismatch(digest, &actual));
        }
        Ok(Assembled {
            storage: sha256,
            size: staged.size(),
            staged: Some(staged),
        })
    }

    /// Pushes a whole blob in one request (`POST ?digest=` with the body).
    pub async fn push_blob(&self, ctx: &Ctx, repo: &RepoName, digest: &str, staged: StagedBlob) -> Result<BlobInfo> {
        let digest = names::parse_digest(digest)?;
        let pkg = self.repo(ctx, repo, OciAction::Push).await?;
        let storage = staged
            .digest()
            .ok_or_else(|| ServiceError::internal("upload not finished"))?;
        let actual = match digest.algorithm() {
            Algorithm::Sha256 => storage.clone(),
            Algorithm::Sha512 => sha512_of_file(staged.path()).await?,
        };
        if actual != digest {
            return Err(digest_mismatch(&digest, &actual));
        }
        self.quotas()
            .check_blobs(pkg.namespace_id, &[(&storage, staged.size())])
            .await?;
        self.blobs().hold_blob(&storage).await?;
        let committed = async {
            self.blobs().store_staged(&staged).await?;
            self.oci_publish_blob(&pkg, None, &digest, &storage, staged.size())
                .await
        }
        .await;
        self.blobs().release_blob(&storage).await;
        committed
    }

    /// Cancels an upload and drops its chunks.
    pub async fn cancel_upload(&self, ctx: &Ctx, repo: &RepoName, id: &str) -> Result<()> {
        let (pkg, up) = self.oci_find_upload(ctx, repo, id).await?;
        self.oci_drop_upload(&up.id).await?;
        let mut tx = self.db.write().await?;
        audit::record(
            &mut tx,
            ctx,
            "oci.upload.cancel",
            &format!("{repo}:{}", up.id),
            Some(pkg.namespace_id),
            serde_json::json!({ "size": up.size }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an upload's rows, then its chunks' bytes unless something else uses them.
    pub(super) async fn oci_drop_upload(&self, id: &str) -> Result<bool> {
        self.upload_assemblies.forget(id);
        let parts = {
            let mut conn = self.db.conn().await?;
            trove_db::oci_uploads::parts(&mut conn, id).await?
        };
        let mut tx = self.db.write().await?;
        let row = trove_db::oci_uploads::remove(&mut tx, id).await?;
        tx.commit().await?;
        let deleted = row.is_some();
        self.store.remove_upload(id).await?;
        // An S3 multipart upload: aborted, its tail object removed. The state is the row's as
        // it was deleted; a chunk recording after that finds no row and aborts its own.
        if let Some(up) = row.filter(|u| u.multipart_state.is_some()) {
            let state = super::multipart::multipart_state(&up)?;
            self.store.abort_multipart(id, &state).await?;
        }
        for p in parts {
            if let Ok(d) = Digest::parse(&p.storage_digest) {
                self.blobs().reclaim_blob(&d).await?;
            }
        }
        Ok(deleted)
    }

    /// Removes uploads untouched for `ttl_ms` (abandoned by their clients). Returns how many.
    pub async fn expire_uploads(&self, ttl_ms: i64) -> Result<u64> {
        let before = now_ms() - ttl_ms;
        let mut n = 0;
        loop {
            let ids = {
                let mut conn = self.db.conn().await?;
                trove_db::oci_uploads::stale(&mut conn, before, 100).await?
            };
            if ids.is_empty() {
                break;
            }
            for id in &ids {
                if self.oci_drop_upload(id).await? {
                    n += 1;
                }
            }
            if ids.len() < 100 {
                break;
            }
        }
        if n > 0 {
            tracing::info!(expired = n, "abandoned oci uploads removed");
        }
        Ok(n)
    }
}

struct Assembled {
    storage: Digest,
    size: u64,
    /// The joined bytes, when they are not an existing chunk.
    staged: Option<StagedBlob>,
}

/// Finishes the running hash of an upload joined chunk by chunk and checks the digest.
async fn oci_finish_joined(mut joined: StagedBlob, digest: &Digest) -> Result<Assembled> {
    let actual = joined
        .finish()
        .await
        .map_err(|e| ServiceError::internal(e.to_string()))?;
    if &actual != digest {
        return Err(digest_mismatch(digest, &actual));
    }
    metrics::counter!("trove_oci_uploads_joined_total").increment(1);
    Ok(Assembled {
        storage: actual,
        size: joined.size(),
        staged: Some(joined),
    })
}

pub(super) async fn sha512_of_file(path: &std::path::Path) -> Result<Digest> {
    use tokio::io::AsyncReadExt;
    let mut f = tokio::fs::File::open(path)
        .await
        .map_err(|e| ServiceError::internal(format!("reading the staged upload: {e}")))?;
    let mut h = sha2::Sha512::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f
            .read(&mut buf)
            .await
            .map_err(|e| ServiceError::internal(format!("reading the staged upload: {e}")))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(Digest::from_sha512_bytes(&h.finalize()))
}
