use crate::{Conn, Result};
use trove_core::TokenScope;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Token {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    /// Stored comma-separated.
    #[sqlx(try_from = "crate::decode::CommaList")]
    pub scopes: Vec<TokenScope>,
    /// `scope/name` glob patterns (stored comma-separated), or none for every package.
    #[sqlx(try_from = "crate::decode::OptCommaList")]
    pub patterns: Option<Vec<String>>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

const COLS: &str = "id, user_id, name, token_hash, scopes, patterns, expires_at, last_used_at, created_at, revoked_at";

pub struct NewToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub scopes: &'a str,
    pub patterns: Option<&'a str>,
    pub expires_at: Option<i64>,
    pub now: i64,
}

pub async fn insert(conn: &mut Conn, t: NewToken<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO tokens (user_id, name, token_hash, scopes, patterns, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(t.user_id)
    .bind(t.name)
    .bind(t.token_hash)
    .bind(t.scopes)
    .bind(t.patterns)
    .bind(t.expires_at)
    .bind(t.now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn find_by_hash(conn: &mut Conn, hash: &str) -> Result<Option<Token>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLS} FROM tokens WHERE token_hash = $1"))
            .bind(hash)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn list_for_user(conn: &mut Conn, user_id: i64) -> Result<Vec<Token>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

/// Revokes one of the user's tokens; false when no live token of theirs has that id.
pub async fn revoke(conn: &mut Conn, id: i64, user_id: i64, now: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn touch(conn: &mut Conn, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
