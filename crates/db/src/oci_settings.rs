//! Server-wide OCI settings shared by every node, such as the registry token signing key.

use crate::{Conn, Result};

/// The value stored under `name`, storing `candidate` first when there is none yet. Every
/// node gets the same value, whichever wrote it.
pub async fn get_or_insert(conn: &mut Conn, name: &str, candidate: &str, now: i64) -> Result<String> {
    sqlx::query("INSERT INTO oci_settings (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(candidate)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let (value,): (String,) = sqlx::query_as("SELECT value FROM oci_settings WHERE name = $1")
        .bind(name)
        .fetch_one(conn)
        .await?;
    Ok(value)
}

/// An API token by id (the registry tokens name the API token they were issued for).
pub async fn find_token(conn: &mut Conn, id: i64) -> Result<Option<crate::tokens::Token>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, name, token_hash, scopes, patterns, expires_at, last_used_at, created_at, revoked_at \
         FROM tokens WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Every OCI repository (packages of ecosystem `oci`), by full name.
pub async fn list_repositories(conn: &mut Conn) -> Result<Vec<crate::packages::Package>> {
    Ok(sqlx::query_as(&format!(
        "{} WHERE p.ecosystem = 'oci' ORDER BY n.name, p.name",
        crate::packages::SELECT
    ))
    .fetch_all(conn)
    .await?)
}
