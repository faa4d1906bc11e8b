//! OCI manifests of a repository, what they reference, and their subjects (referrers).

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OciManifest {
    pub package_id: i64,
    pub digest: String,
    pub storage_digest: String,
    pub media_type: String,
    pub artifact_type: Option<String>,
    pub subject: Option<String>,
    pub size: i64,
    /// JSON object, when the manifest has annotations.
    pub annotations: Option<String>,
    pub pushed_by: Option<i64>,
    pub created_at: i64,
}

const COLS: &str = "package_id, digest, storage_digest, media_type, artifact_type, subject, size, annotations, \
    pushed_by, created_at";

pub struct NewManifest<'a> {
    pub package_id: i64,
    pub digest: &'a str,
    pub storage_digest: &'a str,
    pub media_type: &'a str,
    pub artifact_type: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub size: i64,
    pub annotations: Option<&'a str>,
    pub pushed_by: Option<i64>,
    /// Digests of the blobs and manifests it references.
    pub refs: &'a [String],
    pub now: i64,
}

/// Records a manifest and its references; pushing the same manifest again is a no-op.
pub async fn insert_if_absent(conn: &mut Conn, m: NewManifest<'_>) -> Result<()> {
    let r = sqlx::query(
        "INSERT INTO oci_manifests (package_id, digest, storage_digest, media_type, artifact_type, subject, size, \
         annotations, pushed_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (package_id, digest) DO NOTHING",
    )
    .bind(m.package_id)
    .bind(m.digest)
    .bind(m.storage_digest)
    .bind(m.media_type)
    .bind(m.artifact_type)
    .bind(m.subject)
    .bind(m.size)
    .bind(m.annotations)
    .bind(m.pushed_by)
    .bind(m.now)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() == 0 {
        return Ok(());
    }
    for d in m.refs {
        sqlx::query(
            "INSERT INTO oci_manifest_refs (package_id, manifest_digest, ref_digest) VALUES ($1, $2, $3) \
             ON CONFLICT (package_id, manifest_digest, ref_digest) DO NOTHING",
        )
        .bind(m.package_id)
        .bind(m.digest)
        .bind(d)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn find(conn: &mut Conn, package_id: i64, digest: &str) -> Result<Option<OciManifest>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM oci_manifests WHERE package_id = $1 AND digest = $2"
    ))
    .bind(package_id)
    .bind(digest)
    .fetch_optional(conn)
    .await?)
}

/// Deletes a manifest, its references and every tag pointing at it; false when unknown.
pub async fn delete(conn: &mut Conn, package_id: i64, digest: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM oci_manifests WHERE package_id = $1 AND digest = $2")
        .bind(package_id)
        .bind(digest)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM oci_manifest_refs WHERE package_id = $1 AND manifest_digest = $2")
        .bind(package_id)
        .bind(digest)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM oci_tags WHERE package_id = $1 AND digest = $2")
        .bind(package_id)
        .bind(digest)
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Manifests whose subject is `subject`, oldest first; only those of `artifact_type` when given.
pub async fn referrers(
    conn: &mut Conn,
    package_id: i64,
    subject: &str,
    artifact_type: Option<&str>,
) -> Result<Vec<OciManifest>> {
    Ok(match artifact_type {
        Some(t) => {
            sqlx::query_as(&format!(
                "SELECT {COLS} FROM oci_manifests WHERE package_id = $1 AND subject = $2 AND artifact_type = $3 \
                 ORDER BY created_at, digest"
            ))
            .bind(package_id)
            .bind(subject)
            .bind(t)
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {COLS} FROM oci_manifests WHERE package_id = $1 AND subject = $2 ORDER BY created_at, digest"
            ))
            .bind(package_id)
            .bind(subject)
            .fetch_all(conn)
            .await?
        }
    })
}

/// Whether any manifest of the repository references `digest` (as a blob or a child).
pub async fn is_referenced(conn: &mut Conn, package_id: i64, digest: &str) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT CAST(1 AS BIGINT) FROM oci_manifest_refs WHERE package_id = $1 AND ref_digest = $2 LIMIT 1",
    )
    .bind(package_id)
    .bind(digest)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

pub async fn count(conn: &mut Conn, package_id: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM oci_manifests WHERE package_id = $1")
        .bind(package_id)
        .fetch_one(conn)
        .await?;
    Ok(n)
}
