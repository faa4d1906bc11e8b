//! What the in-memory search index reads: packages in batches, what changed since a time,
//! the reindex generation, and which private packages a user may read.

use crate::packages::Package;
use crate::{Conn, Result};

use crate::packages::SELECT;

/// Packages with an id above `after_id`, in id order, at most `limit` (README included).
pub async fn packages_after(conn: &mut Conn, after_id: i64, limit: i64) -> Result<Vec<Package>> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE p.id > $1 ORDER BY p.id LIMIT $2"))
            .bind(after_id)
            .bind(limit)
            .fetch_all(conn)
            .await?,
    )
}

/// (id, updated_at) of packages updated at or after `since` (milliseconds).
pub async fn changed_since(conn: &mut Conn, since: i64) -> Result<Vec<(i64, i64)>> {
    Ok(
        sqlx::query_as("SELECT id, updated_at FROM packages WHERE updated_at >= $1")
            .bind(since)
            .fetch_all(conn)
            .await?,
    )
}

/// (id, updated_at, downloads) of every package.
pub async fn all_versions(conn: &mut Conn) -> Result<Vec<(i64, i64, i64)>> {
    Ok(sqlx::query_as("SELECT id, updated_at, downloads FROM packages")
        .fetch_all(conn)
        .await?)
}

/// The current reindex generation.
pub async fn generation(conn: &mut Conn) -> Result<i64> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT generation FROM search_state WHERE id = 1")
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.0).unwrap_or(0))
}

/// Asks every node to rebuild its index; returns the new generation.
pub async fn bump_generation(conn: &mut Conn) -> Result<i64> {
    let (g,): (i64,) =
        sqlx::query_as("UPDATE search_state SET generation = generation + 1 WHERE id = 1 RETURNING generation")
            .fetch_one(conn)
            .await?;
    Ok(g)
}

/// Namespaces whose private packages the user may read: their own and every organization
/// they belong to (any role).
pub async fn readable_namespaces(conn: &mut Conn, user_id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM namespaces WHERE user_id = $1 \
         UNION SELECT namespace_id FROM org_members WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Packages the user owns or maintains.
pub async fn owned_packages(conn: &mut Conn, user_id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT package_id FROM package_owners WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
