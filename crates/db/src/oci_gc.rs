//! Coordination between pushes and garbage collection of stored bytes, and the reference
//! checks the collector makes. Keys are the sha256 storage digests of the blob store.
//!
//! A push takes a hold on the bytes it is about to store and releases it once its rows
//! reference them; the collector marks bytes before deleting them. Both are one upsert on
//! the same row, so the database serializes them: a push never stores into bytes being
//! deleted, and the collector never deletes bytes a push holds.

use crate::{Conn, Result};

/// Takes a hold for a push until `until`. False when a collector is deleting these bytes
/// right now (its mark is newer than `stale_gc_before`): wait and try again.
pub async fn hold(conn: &mut Conn, storage_digest: &str, until: i64, stale_gc_before: i64) -> Result<bool> {
    let row: Option<(String,)> = sqlx::query_as(
        "INSERT INTO oci_blob_holds (storage_digest, holders, held_until, gc_since) VALUES ($1, 1, $2, NULL) \
         ON CONFLICT (storage_digest) DO UPDATE SET holders = oci_blob_holds.holders + 1, \
         held_until = CASE WHEN oci_blob_holds.held_until > excluded.held_until THEN oci_blob_holds.held_until \
         ELSE excluded.held_until END, gc_since = NULL \
         WHERE oci_blob_holds.gc_since IS NULL OR oci_blob_holds.gc_since < $3 \
         RETURNING storage_digest",
    )
    .bind(storage_digest)
    .bind(until)
    .bind(stale_gc_before)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

/// Releases one hold; the row goes when nobody holds the bytes any more.
pub async fn release(conn: &mut Conn, storage_digest: &str) -> Result<()> {
    sqlx::query("UPDATE oci_blob_holds SET holders = holders - 1 WHERE storage_digest = $1 AND gc_since IS NULL")
        .bind(storage_digest)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM oci_blob_holds WHERE storage_digest = $1 AND holders <= 0 AND gc_since IS NULL")
        .bind(storage_digest)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Marks bytes for deletion by a collector at `now`. False when a push holds them (a hold
/// counts until its `held_until`, so a crashed push cannot block collection for ever) or
/// another collector's mark is fresher than `stale_gc_before`.
pub async fn mark_for_gc(conn: &mut Conn, storage_digest: &str, now: i64, stale_gc_before: i64) -> Result<bool> {
    let row: Option<(String,)> = sqlx::query_as(
        "INSERT INTO oci_blob_holds (storage_digest, holders, held_until, gc_since) VALUES ($1, 0, 0, $2) \
         ON CONFLICT (storage_digest) DO UPDATE SET holders = 0, gc_since = excluded.gc_since \
         WHERE (oci_blob_holds.holders <= 0 OR oci_blob_holds.held_until < $2) \
         AND (oci_blob_holds.gc_since IS NULL OR oci_blob_holds.gc_since < $3) \
         RETURNING storage_digest",
    )
    .bind(storage_digest)
    .bind(now)
    .bind(stale_gc_before)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

/// Ends a collector's mark.
pub async fn unmark(conn: &mut Conn, storage_digest: &str, since: i64) -> Result<()> {
    sqlx::query("DELETE FROM oci_blob_holds WHERE storage_digest = $1 AND gc_since = $2")
        .bind(storage_digest)
        .bind(since)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether OCI data needs the stored bytes: a blob visible in some repository, a manifest,
/// a part of an upload in progress, or a live hold.
pub async fn storage_in_use(conn: &mut Conn, storage_digest: &str, now: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT CAST(1 AS BIGINT) WHERE EXISTS (SELECT 1 FROM oci_blobs b JOIN oci_repo_blobs l ON l.digest = b.digest \
         WHERE b.storage_digest = $1) \
         OR EXISTS (SELECT 1 FROM oci_manifests WHERE storage_digest = $1) \
         OR EXISTS (SELECT 1 FROM oci_upload_parts WHERE storage_digest = $1) \
         OR EXISTS (SELECT 1 FROM oci_blob_holds WHERE storage_digest = $1 AND holders > 0 AND held_until >= $2)",
    )
    .bind(storage_digest)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

/// Forgets blob digests of these bytes that no repository sees any more.
pub async fn forget_unlinked(conn: &mut Conn, storage_digest: &str) -> Result<u64> {
    let r = sqlx::query(
        "DELETE FROM oci_blobs WHERE storage_digest = $1 \
         AND NOT EXISTS (SELECT 1 FROM oci_repo_blobs l WHERE l.digest = oci_blobs.digest)",
    )
    .bind(storage_digest)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}
