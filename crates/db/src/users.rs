use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    #[serde(skip)]
    pub password_hash: Option<String>,
    #[sqlx(try_from = "crate::decode::Flag")]
    pub is_admin: bool,
    #[sqlx(try_from = "crate::decode::Flag")]
    pub disabled: bool,
    pub created_at: i64,
}

impl User {
    pub fn admin(&self) -> bool {
        self.is_admin
    }
}

const COLS: &str = "id, username, email, password_hash, is_admin, disabled, created_at";

pub async fn insert(
    conn: &mut Conn,
    username: &str,
    email: &str,
    password_hash: Option<&str>,
    is_admin: bool,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (username, email, password_hash, is_admin, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(username)
    .bind(email)
    .bind(password_hash)
    .bind(is_admin as i64)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn find_by_username(conn: &mut Conn, username: &str) -> Result<Option<User>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM users WHERE username = $1"))
        .bind(username)
        .fetch_optional(conn)
        .await?)
}

pub async fn find_by_id(conn: &mut Conn, id: i64) -> Result<Option<User>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn list(conn: &mut Conn, limit: i64, offset: i64) -> Result<Vec<User>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLS} FROM users ORDER BY id LIMIT $1 OFFSET $2"))
            .bind(limit)
            .bind(offset)
            .fetch_all(conn)
            .await?,
    )
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(conn).await?;
    Ok(n)
}

pub async fn set_password(conn: &mut Conn, id: i64, hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_admin(conn: &mut Conn, id: i64, admin: bool) -> Result<()> {
    sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2")
        .bind(admin as i64)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_email(conn: &mut Conn, id: i64, email: &str) -> Result<()> {
    sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
        .bind(email)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_disabled(conn: &mut Conn, id: i64, disabled: bool) -> Result<()> {
    sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(disabled as i64)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
