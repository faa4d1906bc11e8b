//! Storage quotas per namespace (migration 0014) and the usage they limit.
//!
//! Usage is the total size of the distinct stored blobs the namespace references: the files
//! of its live (not deleted) versions, its OCI manifests and the blobs linked to its OCI
//! repositories. A blob referenced twice within the namespace counts once; a blob shared
//! with another namespace counts fully in each (each would need it alone).

use crate::{Conn, Result};

/// The namespace's limit in bytes, if it has one.
pub async fn get(conn: &mut Conn, namespace_id: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT max_bytes FROM namespace_quotas WHERE namespace_id = $1")
        .bind(namespace_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(b,)| b))
}

/// [`get`] inside a write transaction, taking the quota row's lock until it ends (on
/// PostgreSQL; SQLite serializes write transactions anyway): a second transaction checking
/// the same namespace's quota waits here, then sees what the first one committed.
pub async fn lock(conn: &mut Conn, namespace_id: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("UPDATE namespace_quotas SET max_bytes = max_bytes WHERE namespace_id = $1 RETURNING max_bytes")
            .bind(namespace_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(b,)| b))
}

/// Sets the limit, or removes it (`None`).
pub async fn set(conn: &mut Conn, namespace_id: i64, max_bytes: Option<i64>, now: i64) -> Result<()> {
    match max_bytes {
        Some(b) => {
            sqlx::query(
                "INSERT INTO namespace_quotas (namespace_id, max_bytes, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (namespace_id) DO UPDATE SET max_bytes = $2, updated_at = $3",
            )
            .bind(namespace_id)
            .bind(b)
            .bind(now)
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM namespace_quotas WHERE namespace_id = $1")
                .bind(namespace_id)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// Bytes the namespace uses (see the module documentation).
pub async fn usage(conn: &mut Conn, namespace_id: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(u.size), 0) AS BIGINT) FROM ( \
           SELECT f.digest AS d, f.size AS size FROM version_files f \
             JOIN versions v ON v.id = f.version_id JOIN packages p ON p.id = v.package_id \
             WHERE p.namespace_id = $1 AND v.deleted_at IS NULL \
           UNION \
           SELECT m.storage_digest AS d, m.size AS size FROM oci_manifests m \
             JOIN packages p ON p.id = m.package_id WHERE p.namespace_id = $1 \
           UNION \
           SELECT b.storage_digest AS d, b.size AS size FROM oci_repo_blobs rb \
             JOIN oci_blobs b ON b.digest = rb.digest JOIN packages p ON p.id = rb.package_id \
             WHERE p.namespace_id = $1 \
         ) u",
    )
    .bind(namespace_id)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Whether the namespace already references the stored blob `storage_digest` (counted in
/// [`usage`]).
pub async fn references(conn: &mut Conn, namespace_id: i64, storage_digest: &str) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT CAST(1 AS BIGINT) WHERE EXISTS (SELECT 1 FROM version_files f \
           JOIN versions v ON v.id = f.version_id JOIN packages p ON p.id = v.package_id \
           WHERE p.namespace_id = $1 AND v.deleted_at IS NULL AND f.digest = $2) \
         OR EXISTS (SELECT 1 FROM oci_manifests m JOIN packages p ON p.id = m.package_id \
           WHERE p.namespace_id = $1 AND m.storage_digest = $2) \
         OR EXISTS (SELECT 1 FROM oci_repo_blobs rb JOIN oci_blobs b ON b.digest = rb.digest \
           JOIN packages p ON p.id = rb.package_id WHERE p.namespace_id = $1 AND b.storage_digest = $2)",
    )
    .bind(namespace_id)
    .bind(storage_digest)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}
