//! Blobs of a repository: stat, read (with ranges), delete, and cross-repository mount.

use super::{codes, names, OciAction, RepoName, ECOSYSTEM};
use crate::{audit, Ctx, ErrorKind, Result, ServiceError};
use std::ops::Range;
use trove_core::{now_ms, Digest};

/// A blob visible in a repository.
#[derive(Debug, Clone)]
pub struct BlobInfo {
    /// The digest clients name it by.
    pub digest: Digest,
    /// Where its bytes are in the blob store (sha256).
    pub storage: Digest,
    pub size: u64,
    /// Whether the repository is private (decides caching headers).
    pub private: bool,
}

pub(crate) fn blob_unknown(digest: &str) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        codes::BLOB_UNKNOWN,
        format!("blob {digest} is not known in this repository"),
    )
}

pub(crate) fn info_of(b: &trove_db::oci_blobs::OciBlob, private: bool) -> Result<BlobInfo> {
    let parse = |s: &str| Digest::parse(s).map_err(|e| ServiceError::internal(e.to_string()));
    Ok(BlobInfo {
        digest: parse(&b.digest)?,
        storage: parse(&b.storage_digest)?,
        size: b.size.max(0) as u64,
        private,
    })
}

impl crate::oci::Oci<'_> {
    /// A blob visible in the repository, or `BLOB_UNKNOWN`.
    /// Answered from this node's blob cache (`blob_cache`) when it can be.
    pub async fn stat_blob(&self, ctx: &Ctx, repo: &RepoName, digest: &str) -> Result<BlobInfo> {
        let digest = names::parse_digest(digest)?;
        // Read before the database: a write committed after the lookup below makes the
        // entry it fills stale.
        let generation = self.db.content_generation();
        if let Some(hit) = self.blob_cache.get(repo, &digest, generation) {
            if hit.pkg.is_private() {
                let mut conn = self.db.conn().await?;
                if !self.can_read(&mut conn, ctx, &hit.pkg).await? {
                    return Err(super::access::hidden(ctx, repo));
                }
            }
            return Ok(hit.info.clone());
        }
        let pkg = self.repo(ctx, repo, OciAction::Pull).await?;
        let mut conn = self.db.conn().await?;
        let b = trove_db::oci_blobs::find_linked(&mut conn, pkg.id, &digest.to_string())
            .await?
            .ok_or_else(|| blob_unknown(&digest.to_string()))?;
        let info = info_of(&b, pkg.is_private())?;
        let entry = super::blob_cache::CachedBlob {
            pkg,
            info: info.clone(),
        };
        self.blob_cache
            .put(repo, &digest, generation, std::sync::Arc::new(entry));
        Ok(info)
    }

    /// Opens a blob's bytes (or a range of them).
    pub async fn open_blob(&self, info: &BlobInfo, range: Option<Range<u64>>) -> Result<trove_storage::BlobRead> {
        match self.store.get(&info.storage, range).await {
            Ok(r) => Ok(r),
            Err(trove_storage::StorageError::NotFound(_)) => {
                tracing::error!(digest = %info.digest, storage = %info.storage, "blob bytes missing from storage");
                Err(blob_unknown(&info.digest.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A short-lived presigned URL of the blob's bytes on the S3 server, when `[storage]
    /// redirect` is on; `None`: serve them with [`Self::open_blob`].
    pub async fn blob_redirect(&self, info: &BlobInfo) -> Result<Option<String>> {
        Ok(self.store.redirect_url(&info.storage).await?)
    }

    /// Removes a blob from a repository (the bytes go at the next garbage collection when
    /// nothing else uses them).
    pub async fn delete_blob(&self, ctx: &Ctx, repo: &RepoName, digest: &str) -> Result<()> {
        let digest = names::parse_digest(digest)?;
        let pkg = self.repo(ctx, repo, OciAction::Delete).await?;
        let mut tx = self.db.write().await?;
        if !trove_db::oci_blobs::unlink(&mut tx, pkg.id, &digest.to_string()).await? {
            return Err(blob_unknown(&digest.to_string()));
        }
        audit::record(
            &mut tx,
            ctx,
            "oci.blob.delete",
            &format!("{repo}@{digest}"),
            Some(pkg.namespace_id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Mounts a blob from another repository the caller can read (`from`), or from any such
    /// repository holding it when `from` is not given. `None` when there is nothing to mount,
    /// so the caller falls back to an ordinary upload.
    pub async fn mount_blob(
        &self,
        ctx: &Ctx,
        repo: &RepoName,
        digest: &str,
        from: Option<&str>,
    ) -> Result<Option<BlobInfo>> {
        let digest = names::parse_digest(digest)?;
        let pkg = self.repo(ctx, repo, OciAction::Push).await?;
        let key = digest.to_string();
        let mut conn = self.db.conn().await?;
        let candidates: Vec<i64> = match from {
            Some(f) => {
                let Ok(src) = RepoName::parse(f) else {
                    return Ok(None);
                };
                match trove_db::packages::find(&mut conn, ECOSYSTEM, src.scope(), src.name()).await? {
                    Some(p) => vec![p.id],
                    None => return Ok(None),
                }
            }
            None => trove_db::oci_blobs::repos_linking(&mut conn, &key, 50).await?,
        };
        let mut source = None;
        let mut already_here = false;
        for id in candidates {
            if id == pkg.id {
                source = trove_db::oci_blobs::find_linked(&mut conn, id, &key).await?;
                already_here = source.is_some();
                break;
            }
            let Some(p) = trove_db::packages::find_by_id(&mut conn, id).await? else {
                continue;
            };
            if p.ecosystem != ECOSYSTEM || !self.can_read(&mut conn, ctx, &p).await? {
                continue;
            }
            if let Some(b) = trove_db::oci_blobs::find_linked(&mut conn, id, &key).await? {
                source = Some(b);
                break;
            }
        }
        drop(conn);
        let Some(blob) = source else {
            return Ok(None);
        };
        // Bytes already in this repository are counted already.
        if !already_here {
            self.quotas()
                .check_room(pkg.namespace_id, blob.size.max(0) as u64)
                .await?;
        }
        let info = info_of(&blob, pkg.is_private())?;
        self.blobs().hold_blob(&info.storage).await?;
        let linked = async {
            let mut tx = self.db.write().await?;
            if trove_db::oci_blobs::find(&mut tx, &key).await?.is_none() {
                return Ok(false);
            }
            trove_db::oci_blobs::link(&mut tx, pkg.id, &key, now_ms()).await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(true)
        }
        .await;
        self.blobs().release_blob(&info.storage).await;
        Ok(linked?.then_some(info))
    }
}
