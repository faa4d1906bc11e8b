//! Dist-tags: named pointers from a package to one of its versions (npm's `latest`, `beta`…).

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DistTag {
    pub tag: String,
    pub version_id: i64,
    /// The version's number.
    pub version: String,
    pub updated_at: i64,
}

/// A package's tags by name, each with the version it points at.
pub async fn list(conn: &mut Conn, package_id: i64) -> Result<Vec<DistTag>> {
    Ok(sqlx::query_as(
        "SELECT t.tag, t.version_id, v.version, t.updated_at FROM dist_tags t \
         JOIN versions v ON v.id = t.version_id WHERE t.package_id = $1 ORDER BY t.tag",
    )
    .bind(package_id)
    .fetch_all(conn)
    .await?)
}

/// Points `tag` at a version (creating or moving it).
pub async fn set(conn: &mut Conn, package_id: i64, tag: &str, version_id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO dist_tags (package_id, tag, version_id, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (package_id, tag) DO UPDATE SET version_id = excluded.version_id, updated_at = excluded.updated_at",
    )
    .bind(package_id)
    .bind(tag)
    .bind(version_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a tag; returns whether it existed.
pub async fn remove(conn: &mut Conn, package_id: i64, tag: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM dist_tags WHERE package_id = $1 AND tag = $2")
        .bind(package_id)
        .bind(tag)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes every tag pointing at a version (when it is deleted); returns their names.
pub async fn remove_for_version(conn: &mut Conn, version_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("DELETE FROM dist_tags WHERE version_id = $1 RETURNING tag")
        .bind(version_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
