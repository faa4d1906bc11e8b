use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub async fn insert(conn: &mut Conn, s: &Session) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.id_hash)
    .bind(s.user_id)
    .bind(&s.csrf_token)
    .bind(s.created_at)
    .bind(s.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut Conn, id_hash: &str) -> Result<Option<Session>> {
    Ok(
        sqlx::query_as("SELECT id_hash, user_id, csrf_token, created_at, expires_at FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn delete(conn: &mut Conn, id_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_expired(conn: &mut Conn, now: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// A user's unexpired sessions, newest first.
pub async fn list_for_user(conn: &mut Conn, user_id: i64, now: i64) -> Result<Vec<Session>> {
    Ok(sqlx::query_as(
        "SELECT id_hash, user_id, csrf_token, created_at, expires_at FROM sessions \
         WHERE user_id = $1 AND expires_at >= $2 ORDER BY created_at DESC, id_hash",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Ends every session of a user but the one with `keep` as its id hash (if any).
pub async fn delete_for_user(conn: &mut Conn, user_id: i64, keep: Option<&str>) -> Result<u64> {
    let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}
