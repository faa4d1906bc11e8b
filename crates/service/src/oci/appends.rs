//! Upload requests with their bodies: on the filesystem store a chunked upload is one file
//! appended in place with the running SHA-256 state in its database row (`trove_storage::
//! UploadFile`), so any node continues it, nothing is copied and the closing PUT only finishes
//! the hash and renames the file into the store. On the S3 store the chunks become the parts
//! of one S3 multipart upload (`multipart`), with the same running hash. Uploads without a
//! state (started before it existed) keep one stored blob per chunk (`uploads`).

use super::uploads::{digest_mismatch, range_invalid, too_large, upload_unknown, UploadState};
use super::{codes, names, BlobInfo, RepoName};
use crate::blobs::stage::drain;
use crate::blobs::BodyLimit;
use crate::{Ctx, ErrorKind, Result, ServiceError};
use bytes::Bytes;
use futures::Stream;
use trove_core::digest::Algorithm;
use trove_core::now_ms;
use trove_db::oci_uploads::OciUpload;
use trove_storage::{AppendError, RunningSha256, StagedBlob, UploadFile};

fn body_limit(max: u64) -> BodyLimit {
    BodyLimit {
        max,
        what: "blob",
        too_large_code: codes::SIZE_INVALID,
        read_failed_code: codes::BLOB_UPLOAD_INVALID,
    }
}

fn size_mismatch(declared: u64, got: u64) -> ServiceError {
    ServiceError::bad_request(
        codes::SIZE_INVALID,
        format!("Content-Length says {declared} bytes but {got} arrived"),
    )
}

pub(super) fn busy() -> ServiceError {
    ServiceError::new(
        ErrorKind::RangeNotSatisfiable,
        codes::RANGE_INVALID,
        "another request is writing this upload: send chunks one after the other",
    )
}

/// The running SHA-256 an upload's row carries.
pub(super) fn saved_hash(up: &OciUpload) -> Result<RunningSha256> {
    RunningSha256::from_hex(up.hash_state.as_deref().unwrap_or_default())
        .map_err(|_| ServiceError::internal("the upload's saved hash state is damaged"))
}

impl crate::oci::Oci<'_> {
    /// The hash state new uploads start with, when they are appended in place here.
    pub(crate) fn oci_initial_hash_state(&self) -> Option<String> {
        (self.store.appends_uploads() || self.store.multipart_uploads()).then(|| RunningSha256::new().to_hex())
    }

    /// Stages a body for an upload kept as stored chunks; `declared` must match.
    pub(super) async fn oci_stage_chunk<S, E>(
        &self,
        body: &mut S,
        declared: Option<u64>,
        limit: u64,
    ) -> Result<StagedBlob>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let staged = self.blobs().stage_body(body, declared, body_limit(limit)).await?;
        if let Some(d) = declared.filter(|d| *d != staged.size()) {
            return Err(size_mismatch(d, staged.size()));
        }
        Ok(staged)
    }

    /// `PATCH`: appends a request body to an upload. `start` (from `Content-Range`) must be
    /// where the upload ends (416 otherwise, before the body is read).
    #[allow(clippy::too_many_arguments)]
    pub async fn append_upload_body<S, E>(
        &self,
        ctx: &Ctx,
        repo: &RepoName,
        id: &str,
        start: Option<u64>,
        body: &mut S,
        declared: Option<u64>,
        limit: u64,
    ) -> Result<UploadState>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let (pkg, up) = self.oci_find_upload(ctx, repo, id).await?;
        if up.hash_state.is_some() && self.store.multipart_uploads() {
            let up = self
                .oci_append_multipart(pkg.namespace_id, &up, start, body, declared, limit)
                .await?;
            return Ok(UploadState {
                id: up.id,
                size: up.size as u64,
            });
        }
        if up.hash_state.is_none() || !self.store.appends_uploads() {
            // Refused before the body is read (`append_upload` checks again once it is).
            if let Some(s) = start.filter(|s| *s != up.size.max(0) as u64) {
                drain(body).await;
                return Err(range_invalid(up.size, s));
            }
            let chunk = self.oci_stage_chunk(body, declared, limit).await?;
            return self.append_upload(ctx, repo, id, start, chunk, limit).await;
        }
        let (up, mut file) = self.oci_lock_upload(&up).await?;
        let up = self
            .oci_append_in_place(pkg.namespace_id, &up, &mut file, start, body, declared, limit)
            .await?;
        Ok(UploadState {
            id: up.id,
            size: up.size as u64,
        })
    }

    /// The closing `PUT`, with the last chunk (maybe empty): verifies the whole content against
    /// `digest`, stores it once and makes it visible in the repository.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_upload_body<S, E>(
        &self,
        ctx: &Ctx,
        repo: &RepoName,
        id: &str,
        digest: &str,
        start: Option<u64>,
        body: &mut S,
        declared: Option<u64>,
        limit: u64,
    ) -> Result<BlobInfo>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let claimed = names::parse_digest(digest)?;
        let (pkg, up) = self.oci_find_upload(ctx, repo, id).await?;
        if up.hash_state.is_some() && self.store.multipart_uploads() {
            let up = if start.is_some() || declared != Some(0) {
                self.oci_append_multipart(pkg.namespace_id, &up, start, body, declared, limit)
                    .await?
            } else {
                up
            };
            return self.oci_finish_multipart(repo, &pkg, &up, &claimed).await;
        }
        if up.hash_state.is_none() || !self.store.appends_uploads() {
            let chunk = self.oci_stage_chunk(body, declared, limit).await?;
            let last = (chunk.size() > 0 || start.is_some()).then_some((start, chunk));
            return self.finish_upload(ctx, repo, id, digest, last, limit).await;
        }
        let (mut up, mut file) = self.oci_lock_upload(&up).await?;
        if start.is_some() || declared != Some(0) {
            up = self
                .oci_append_in_place(pkg.namespace_id, &up, &mut file, start, body, declared, limit)
                .await?;
        }
        let size = up.size as u64;
        if let Err(e) = file.check_len(size).await {
            return Err(match e {
                AppendError::Lost { len, recorded } => self.oci_restart_lost(&up, len, recorded).await,
                e => append_error(e, limit),
            });
        }
        let state = saved_hash(&up)?;
        let storage = state.digest();
        // A sha512 claim re-reads the file rather than carrying a running SHA-512 state with
        // every chunk: which algorithm the client claims is only known at this PUT, so a
        // running state would hash every upload's bytes twice (SHA-512 costs about as much
        // as SHA-256 again, more where SHA-256 has CPU instructions) for a digest OCI clients
        // hardly send (docker, containerd, podman, oras and skopeo push sha256). The re-read
        // is one sequential read of a local file, done only for those uploads.
        let actual = match claimed.algorithm() {
            Algorithm::Sha256 => storage.clone(),
            Algorithm::Sha512 => super::uploads::sha512_of_file(file.path()).await?,
        };
        if actual != claimed {
            return Err(digest_mismatch(&claimed, &actual));
        }
        self.quotas().check_blobs(pkg.namespace_id, &[(&storage, size)]).await?;
        self.blobs().hold_blob(&storage).await?;
        let committed = async {
            file.commit(&self.store, size, &storage).await?;
            self.oci_publish_blob(&pkg, Some(&up), &claimed, &storage, size).await
        }
        .await;
        self.blobs().release_blob(&storage).await;
        let info = committed?;
        metrics::counter!("trove_oci_uploads_in_place_total").increment(1);
        tracing::debug!(repository = %repo, digest = %claimed, size, "blob pushed");
        Ok(info)
    }

    /// Takes the upload's file for this request (416 while another request writes it) and
    /// reads the upload's row again under the lock.
    async fn oci_lock_upload(&self, up: &OciUpload) -> Result<(OciUpload, UploadFile)> {
        let file = match self.store.open_upload(&up.id).await {
            Ok(f) => f,
            Err(AppendError::Busy) => return Err(busy()),
            Err(e) => return Err(append_error(e, 0)),
        };
        let mut conn = self.db.conn().await?;
        match trove_db::oci_uploads::find(&mut conn, &up.id).await? {
            Some(now) if now.package_id == up.package_id && now.hash_state.is_some() => Ok((now, file)),
            _ => {
                // Finished or cancelled meanwhile: the file (maybe just created) is no one's.
                drop(file);
                let _ = self.store.remove_upload(&up.id).await;
                Err(upload_unknown(&up.id))
            }
        }
    }

    /// Appends a body to a locked upload appended in place and records the new size and hash
    /// state; returns the row as it now is.
    #[allow(clippy::too_many_arguments)]
    async fn oci_append_in_place<S, E>(
        &self,
        namespace_id: i64,
        up: &OciUpload,
        file: &mut UploadFile,
        start: Option<u64>,
        body: &mut S,
        declared: Option<u64>,
        limit: u64,
    ) -> Result<OciUpload>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let (size, state) = self.admit_chunk(namespace_id, up, start, body, declared, limit).await?;
        let state = match file.append(size, state, body, limit).await {
            Ok(s) => s,
            Err(AppendError::TooLarge { limit }) => {
                drain(body).await;
                return Err(too_large(limit));
            }
            Err(AppendError::Lost { len, recorded }) => {
                drain(body).await;
                return Err(self.oci_restart_lost(up, len, recorded).await);
            }
            Err(e) => return Err(append_error(e, limit)),
        };
        let got = state.len() - size;
        if let Some(d) = declared.filter(|d| *d != got) {
            return Err(size_mismatch(d, got));
        }
        let mut now = up.clone();
        if got == 0 {
            return Ok(now);
        }
        if declared.is_none() {
            self.quotas().check_room(namespace_id, state.len()).await?;
        }
        let hex = state.to_hex();
        let ok = self
            .oci_update_upload(async |c| {
                trove_db::oci_uploads::advance(c, &up.id, up.size, state.len() as i64, &hex, now_ms()).await
            })
            .await?;
        if !ok {
            return Err(upload_unknown(&up.id));
        }
        now.size = state.len() as i64;
        now.hash_state = Some(hex);
        Ok(now)
    }
}

impl crate::oci::Oci<'_> {
    /// An upload whose file lost bytes it had acknowledged (see `AppendError::Lost`) starts
    /// again from byte 0: its row is set back to no bytes and the empty hash state (under the
    /// size's compare-and-set), and the client gets 416 with the `Range` it must resume from,
    /// so no blob is ever made from a file that does not match its saved hash.
    async fn oci_restart_lost(&self, up: &OciUpload, len: u64, recorded: u64) -> ServiceError {
        tracing::warn!(upload = %up.id, len, recorded, "an upload's file is shorter than its recorded size; restarting it");
        metrics::counter!("trove_oci_uploads_lost_total").increment(1);
        let empty = RunningSha256::new().to_hex();
        let reset = self
            .oci_update_upload(async |c| trove_db::oci_uploads::advance(c, &up.id, up.size, 0, &empty, now_ms()).await)
            .await;
        if let Err(e) = reset {
            return e;
        }
        ServiceError::new(
            ErrorKind::RangeNotSatisfiable,
            codes::BLOB_UPLOAD_INVALID,
            format!(
                "the upload's stored bytes were lost ({len} of the {recorded} received are left): send the blob again from byte 0"
            ),
        )
    }

    /// One compare-and-set update of an upload's row, in a write transaction of its own;
    /// whether it applied (false: the upload is gone or changed meanwhile).
    pub(super) async fn oci_update_upload(
        &self,
        update: impl AsyncFnOnce(&mut trove_db::Conn) -> trove_db::Result<bool>,
    ) -> Result<bool> {
        let mut tx = self.db.write().await?;
        let ok = update(&mut tx).await?;
        tx.commit().await?;
        Ok(ok)
    }

    /// What every chunk of an upload goes through before its bytes are taken, wherever they
    /// are kept: it must start where the upload ends (else its body is drained and 416), a
    /// declared length must keep the blob within `limit` (else 413) and within the
    /// namespace's quota. Returns the upload's size and its saved running hash.
    pub(super) async fn admit_chunk<S, E>(
        &self,
        namespace_id: i64,
        up: &OciUpload,
        start: Option<u64>,
        body: &mut S,
        declared: Option<u64>,
        limit: u64,
    ) -> Result<(u64, RunningSha256)>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    {
        let size = up.size.max(0) as u64;
        if let Some(s) = start.filter(|s| *s != size) {
            drain(body).await;
            return Err(range_invalid(up.size, s));
        }
        if declared.is_some_and(|d| size + d > limit) {
            drain(body).await;
            return Err(too_large(limit));
        }
        self.quotas()
            .check_room(namespace_id, size + declared.unwrap_or(0))
            .await?;
        Ok((size, saved_hash(up)?))
    }
}

fn append_error(e: AppendError, limit: u64) -> ServiceError {
    match e {
        AppendError::TooLarge { .. } => too_large(limit),
        AppendError::Busy => busy(),
        AppendError::Lost { len, recorded } => ServiceError::internal(format!(
            "the upload's file has {len} bytes but {recorded} were recorded"
        )),
        AppendError::Body(e) => ServiceError::bad_request(
            codes::BLOB_UPLOAD_INVALID,
            format!("reading the request body failed: {e}"),
        ),
        AppendError::Storage(e) => e.into(),
    }
}
