use crate::{Conn, Result};

/// Records a blob; a blob already known is left as it is.
pub async fn insert_if_absent(conn: &mut Conn, digest: &str, size: i64, now: i64) -> Result<()> {
    sqlx::query("INSERT INTO blobs (digest, size, created_at) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING")
        .bind(digest)
        .bind(size)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn exists(conn: &mut Conn, digest: &str) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT size FROM blobs WHERE digest = $1")
        .bind(digest)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}
