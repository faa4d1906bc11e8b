//! OCI tags: names pointing at a manifest digest of a repository.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OciTag {
    pub tag: String,
    pub digest: String,
    pub pushed_by: Option<i64>,
    /// Who pushed it (joined from users), when known.
    pub pusher: Option<String>,
    pub updated_at: i64,
}

/// Points a tag at a manifest, replacing what it pointed at before.
pub async fn set(
    conn: &mut Conn,
    package_id: i64,
    tag: &str,
    digest: &str,
    pushed_by: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO oci_tags (package_id, tag, digest, pushed_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (package_id, tag) DO UPDATE SET digest = excluded.digest, pushed_by = excluded.pushed_by, \
         updated_at = excluded.updated_at",
    )
    .bind(package_id)
    .bind(tag)
    .bind(digest)
    .bind(pushed_by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The digest a tag points at.
pub async fn resolve(conn: &mut Conn, package_id: i64, tag: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT digest FROM oci_tags WHERE package_id = $1 AND tag = $2")
        .bind(package_id)
        .bind(tag)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(d,)| d))
}

/// Removes a tag (not the manifest); false when it did not exist.
pub async fn delete(conn: &mut Conn, package_id: i64, tag: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM oci_tags WHERE package_id = $1 AND tag = $2")
        .bind(package_id)
        .bind(tag)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Tag names in lexical (byte) order after `last`, at most `limit`. Sorted here rather
/// than in SQL so that the order is the same whatever the database's collation.
pub async fn list_names(conn: &mut Conn, package_id: i64, last: Option<&str>, limit: usize) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT tag FROM oci_tags WHERE package_id = $1")
        .bind(package_id)
        .fetch_all(conn)
        .await?;
    let mut tags: Vec<String> = rows.into_iter().map(|(t,)| t).collect();
    tags.sort_unstable();
    Ok(tags
        .into_iter()
        .filter(|t| last.is_none_or(|l| t.as_str() > l))
        .take(limit)
        .collect())
}

/// Every tag with its pusher, most recently updated first.
pub async fn list_recent(conn: &mut Conn, package_id: i64) -> Result<Vec<OciTag>> {
    Ok(sqlx::query_as(
        "SELECT t.tag, t.digest, t.pushed_by, u.username AS pusher, t.updated_at FROM oci_tags t \
         LEFT JOIN users u ON u.id = t.pushed_by WHERE t.package_id = $1 ORDER BY t.updated_at DESC, t.tag",
    )
    .bind(package_id)
    .fetch_all(conn)
    .await?)
}
