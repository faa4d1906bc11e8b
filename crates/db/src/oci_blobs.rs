//! OCI blobs: the digests clients know (sha256 or sha512) mapped onto the sha256 key of the
//! bytes in the blob store, and which repositories may see each blob.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OciBlob {
    pub digest: String,
    pub storage_digest: String,
    pub size: i64,
    pub created_at: i64,
}

/// Records a blob; a digest already known keeps its row.
pub async fn insert_if_absent(conn: &mut Conn, digest: &str, storage_digest: &str, size: i64, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO oci_blobs (digest, storage_digest, size, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (digest) DO NOTHING",
    )
    .bind(digest)
    .bind(storage_digest)
    .bind(size)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut Conn, digest: &str) -> Result<Option<OciBlob>> {
    Ok(
        sqlx::query_as("SELECT digest, storage_digest, size, created_at FROM oci_blobs WHERE digest = $1")
            .bind(digest)
            .fetch_optional(conn)
            .await?,
    )
}

/// Makes a blob visible in a repository (a no-op when it already is).
pub async fn link(conn: &mut Conn, package_id: i64, digest: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO oci_repo_blobs (package_id, digest, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (package_id, digest) DO NOTHING",
    )
    .bind(package_id)
    .bind(digest)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a blob from a repository; false when it was not there.
pub async fn unlink(conn: &mut Conn, package_id: i64, digest: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM oci_repo_blobs WHERE package_id = $1 AND digest = $2")
        .bind(package_id)
        .bind(digest)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// The blob, when it is visible in the repository.
pub async fn find_linked(conn: &mut Conn, package_id: i64, digest: &str) -> Result<Option<OciBlob>> {
    Ok(sqlx::query_as(
        "SELECT b.digest, b.storage_digest, b.size, b.created_at FROM oci_blobs b \
         JOIN oci_repo_blobs l ON l.digest = b.digest WHERE l.package_id = $1 AND b.digest = $2",
    )
    .bind(package_id)
    .bind(digest)
    .fetch_optional(conn)
    .await?)
}

/// Repositories (package ids) in which the blob is visible, oldest link first.
pub async fn repos_linking(conn: &mut Conn, digest: &str, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT package_id FROM oci_repo_blobs WHERE digest = $1 ORDER BY created_at, package_id LIMIT $2",
    )
    .bind(digest)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Links older than `before` whose blob no manifest of the same repository references:
/// candidates for pruning by garbage collection. At most `limit` of them.
pub async fn unreferenced_links(conn: &mut Conn, before: i64, limit: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT l.package_id, l.digest FROM oci_repo_blobs l WHERE l.created_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM oci_manifest_refs r WHERE r.package_id = l.package_id AND r.ref_digest = l.digest) \
         ORDER BY l.created_at LIMIT $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Removes a link only if it is still unreferenced and older than `before` (re-checked in
/// the same statement, so a manifest pushed meanwhile keeps it).
pub async fn prune_link(conn: &mut Conn, package_id: i64, digest: &str, before: i64) -> Result<bool> {
    let r = sqlx::query(
        "DELETE FROM oci_repo_blobs WHERE package_id = $1 AND digest = $2 AND created_at < $3 \
         AND NOT EXISTS (SELECT 1 FROM oci_manifest_refs r WHERE r.package_id = $1 AND r.ref_digest = $2)",
    )
    .bind(package_id)
    .bind(digest)
    .bind(before)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Number of repository links (for statistics and tests).
pub async fn count_links(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM oci_repo_blobs")
        .fetch_one(conn)
        .await?;
    Ok(n)
}
