//! Chunked uploads on the S3 store as one S3 multipart upload (`trove_storage::multipart`):
//! each chunk is staged, hashed on (the running SHA-256 state in the row, as on the filesystem
//! store) and written as parts of at least 5 MiB, smaller remainders waiting in a tail object
//! for the next chunk. The multipart state is recorded in the row with the size
//! (`oci_uploads.multipart_state`, migration 0022) under the same compare-and-set as the size,
//! so any node continues the upload and of two racing chunks one wins. The closing PUT
//! completes the multipart upload (no byte is read or copied through Trove), then the blob
//! becomes visible with the database commit. Cancel and expiry abort it. Objects under
//! `uploads/` that no upload needs any more (a crash between writing one and recording or
//! removing it) are swept once older than `stale_upload_ms` ([`Oci::sweep_multipart_leftovers`]).

use super::appends::saved_hash;
use super::uploads::{digest_mismatch, range_invalid, upload_unknown};
use super::{BlobInfo, RepoName};
use crate::{Result, ServiceError};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::Digest as _;
use trove_core::digest::Algorithm;
use trove_core::{now_ms, Digest};
use trove_db::oci_uploads::OciUpload;
use trove_storage::{MultipartState, SweepReport, UploadObject};

fn bad_state() -> ServiceError {
    ServiceError::internal("the upload's saved multipart state is damaged")
}

pub(super) fn multipart_state(up: &OciUpload) -> Result<MultipartState> {
    match &up.multipart_state {
        None => Ok(MultipartState::default()),
        Some(s) => serde_json::from_str(s).map_err(|_| bad_state()),
    }
}

impl crate::oci::Oci<'_> {
    /// Appends a body to an upload kept as an S3 multipart upload and records the new size,
    /// hash and multipart state; returns the row as it now is.
    pub(super) async fn oci_append_multipart<S, E>(
        &self,
        namespace_id: i64,
        up: &OciUpload,
        start: Option<u64>,
        body: &mut S,
        declared: Option<u64>,
        limit: u64,
    ) -> Result<OciUpload>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let (size, hash) = self.admit_chunk(namespace_id, up, start, body, declared, limit).await?;
        if hash.len() != size {
            return Err(ServiceError::internal(
                "the upload's hash state does not match its size",
            ));
        }
        let mut state = multipart_state(up)?;
        let chunk = self.oci_stage_chunk(body, declared, limit - size).await?;
        if chunk.size() == 0 {
            return Ok(up.clone());
        }
        if declared.is_none() {
            self.quotas().check_room(namespace_id, size + chunk.size()).await?;
        }
        let mut up = up.clone();
        if state.needs_upload(size, chunk.size()) {
            (up, state) = self.oci_begin_multipart(&up, state).await?;
        }
        let up = &up;
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let (next, hash) = self
            .store
            .append_multipart(&up.id, &state, hash, chunk.path(), &nonce)
            .await?;
        let hex = hash.to_hex();
        let json = serde_json::to_string(&next).map_err(|e| ServiceError::internal(e.to_string()))?;
        let recorded = self
            .oci_update_upload(async |c| {
                trove_db::oci_uploads::advance_multipart(c, &up.id, up.size, hash.len() as i64, &hex, &json, now_ms())
                    .await
            })
            .await;
        if !matches!(recorded, Ok(true)) {
            // Not part of the upload: this request's tail goes (its parts are overwritten by
            // the next chunk's, or dropped with the multipart upload).
            if let Some(t) = next.tail.as_deref().filter(|t| Some(*t) != state.tail.as_deref()) {
                let _ = self.store.remove_upload_tail(t).await;
            }
            recorded?;
            let mut conn = self.db.conn().await?;
            return match trove_db::oci_uploads::find(&mut conn, &up.id).await? {
                Some(now) => Err(range_invalid(now.size, size)),
                None => {
                    // Cancelled or expired meanwhile, maybe by a request that read the row
                    // before this one named its multipart upload: no one else will abort it.
                    if let Some(u) = &state.upload_id {
                        let _ = self.store.abort_multipart_upload(&up.id, u).await;
                    }
                    Err(upload_unknown(&up.id))
                }
            };
        }
        if let Some(t) = state.tail.as_deref().filter(|t| Some(*t) != next.tail.as_deref()) {
            if let Err(e) = self.store.remove_upload_tail(t).await {
                tracing::warn!(error = %e, "could not remove an upload's old tail object");
            }
        }
        let mut now = up.clone();
        now.size = hash.len() as i64;
        now.hash_state = Some(hex);
        now.multipart_state = Some(json);
        Ok(now)
    }

    /// Creates the upload's S3 multipart upload and names it in the row before any part is
    /// written, so every part belongs to a multipart upload a row names (which cancel and
    /// expiry abort): a crash can leave at most an empty one. Of two requests beginning it,
    /// the one that records second aborts its own and gets 416 (404 when the upload is gone). Returns the row and the state as they now are.
    async fn oci_begin_multipart(&self, up: &OciUpload, state: MultipartState) -> Result<(OciUpload, MultipartState)> {
        let upload_id = self.store.create_multipart(&up.id).await?;
        let next = MultipartState {
            upload_id: Some(upload_id.clone()),
            ..state
        };
        let json = serde_json::to_string(&next).map_err(|e| ServiceError::internal(e.to_string()))?;
        let recorded = self
            .oci_update_upload(async |c| {
                trove_db::oci_uploads::begin_multipart(
                    c,
                    &up.id,
                    up.size,
                    up.multipart_state.as_deref(),
                    &json,
                    now_ms(),
                )
                .await
            })
            .await;
        if !matches!(recorded, Ok(true)) {
            let _ = self.store.abort_multipart_upload(&up.id, &upload_id).await;
            recorded?;
            let mut conn = self.db.conn().await?;
            return match trove_db::oci_uploads::find(&mut conn, &up.id).await? {
                Some(_) => Err(super::appends::busy()),
                None => Err(upload_unknown(&up.id)),
            };
        }
        let mut now = up.clone();
        now.multipart_state = Some(json);
        Ok((now, next))
    }

    /// The closing `PUT` of an upload kept as an S3 multipart upload (its last chunk already
    /// appended): checks the digest, completes the multipart upload into the blob's place and
    /// makes the blob visible in the repository.
    pub(super) async fn oci_finish_multipart(
        &self,
        repo: &RepoName,
        pkg: &trove_db::packages::Package,
        up: &OciUpload,
        claimed: &Digest,
    ) -> Result<BlobInfo> {
        let hash = saved_hash(up)?;
        let state = multipart_state(up)?;
        let storage = hash.digest();
        let size = up.size.max(0) as u64;
        if claimed.algorithm() == Algorithm::Sha256 && &storage != claimed {
            // Nothing was completed: the upload can still be finished with the right digest.
            return Err(digest_mismatch(claimed, &storage));
        }
        self.quotas().check_blobs(pkg.namespace_id, &[(&storage, size)]).await?;
        self.blobs().hold_blob(&storage).await?;
        let committed = async {
            self.store.complete_multipart(&up.id, &state, &storage).await?;
            if claimed.algorithm() == Algorithm::Sha512 {
                let mut h = sha2::Sha512::new();
                let mut read = self.store.get(&storage, None).await?;
                while let Some(chunk) = read.stream.next().await {
                    h.update(&chunk?);
                }
                let actual = Digest::from_sha512_bytes(&h.finalize());
                if &actual != claimed {
                    // The multipart upload is completed: the upload cannot be finished again.
                    let _ = self.oci_drop_upload(&up.id).await;
                    return Err(digest_mismatch(claimed, &actual));
                }
            }
            self.oci_publish_blob(pkg, Some(up), claimed, &storage, size).await
        }
        .await;
        self.blobs().release_blob(&storage).await;
        let info = match committed {
            Ok(info) => info,
            Err(e) => {
                // The bytes may be in the blob's place without a reference: reclaimed unless
                // something else uses them (gc would, too).
                let _ = self.blobs().reclaim_blob(&storage).await;
                return Err(e);
            }
        };
        metrics::counter!("trove_oci_uploads_in_place_total").increment(1);
        tracing::debug!(repository = %repo, digest = %claimed, size, "blob pushed (multipart)");
        Ok(info)
    }
}

impl crate::oci::Oci<'_> {
    /// Removes the objects under `uploads/` (S3 store) last written more than `min_age_ms`
    /// ago that no upload in progress needs: every object of an upload without a row (gone
    /// with a crash between writing the object and recording it, or between deleting the row
    /// and removing it), and tails their upload's row no longer names (replaced by a newer
    /// tail whose request could not remove the old one). A completed object not yet moved
    /// (`uploads/<id>`) of a live row is left to that row's finish, cancel or expiry.
    /// Multipart uploads themselves are not listed: the S3 API's ListMultipartUploads is
    /// not in object_store (nor in s3s-fs); a bucket lifecycle rule
    /// (AbortIncompleteMultipartUpload) catches the ones a crash leaves without a row.
    pub(crate) async fn sweep_multipart_leftovers(&self, min_age_ms: i64) -> Result<SweepReport> {
        let mut report = SweepReport::default();
        if !self.store.multipart_uploads() {
            return Ok(report);
        }
        let before = now_ms() - min_age_ms;
        for obj in self.store.list_upload_objects().await? {
            if obj.modified_ms > before {
                continue;
            }
            let row = {
                let mut conn = self.db.conn().await?;
                trove_db::oci_uploads::find(&mut conn, &obj.upload).await?
            };
            if !is_leftover(&obj, row.as_ref()) {
                continue;
            }
            match self.store.remove_upload_tail(&obj.key).await {
                Ok(()) => {
                    report.files += 1;
                    report.bytes += obj.size;
                }
                Err(e) => tracing::warn!(key = %obj.key, error = %e, "could not remove a leftover upload object"),
            }
        }
        report.record("leftover upload objects");
        Ok(report)
    }
}

/// Whether an object under `uploads/` is no upload's any more (`row`: its upload's row).
fn is_leftover(obj: &UploadObject, row: Option<&OciUpload>) -> bool {
    let Some(up) = row else {
        return true;
    };
    if !obj.key.contains(".tail-") {
        return false;
    }
    // A damaged state is reported where the upload is used; its objects are kept.
    multipart_state(up).is_ok_and(|state| state.tail.as_deref() != Some(obj.key.as_str()))
}
