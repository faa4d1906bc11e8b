//! Pending CLI logins of the device-code flow. Both the device code (the CLI's secret) and
//! the user code (typed by the person approving) are stored only as SHA-256 hashes.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceCode {
    pub id: i64,
    pub device_code_hash: String,
    pub user_code_hash: String,
    pub client_name: Option<String>,
    /// The approving user, once approved.
    pub user_id: Option<i64>,
    pub approved_at: Option<i64>,
    pub denied_at: Option<i64>,
    /// The token handed out when the CLI collected it.
    pub token_id: Option<i64>,
    pub consumed_at: Option<i64>,
    /// The polling interval the CLI must respect (grows on `slow_down`).
    pub interval_ms: i64,
    pub last_poll_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
}

const COLS: &str = "id, device_code_hash, user_code_hash, client_name, user_id, approved_at, denied_at, \
                    token_id, consumed_at, interval_ms, last_poll_at, created_at, expires_at";

pub struct NewDeviceCode<'a> {
    pub device_code_hash: &'a str,
    pub user_code_hash: &'a str,
    pub client_name: Option<&'a str>,
    pub interval_ms: i64,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert(conn: &mut Conn, d: NewDeviceCode<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO device_codes (device_code_hash, user_code_hash, client_name, interval_ms, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(d.device_code_hash)
    .bind(d.user_code_hash)
    .bind(d.client_name)
    .bind(d.interval_ms)
    .bind(d.now)
    .bind(d.expires_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn find_by_device_code(conn: &mut Conn, device_code_hash: &str) -> Result<Option<DeviceCode>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLS} FROM device_codes WHERE device_code_hash = $1"))
            .bind(device_code_hash)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn find_by_user_code(conn: &mut Conn, user_code_hash: &str) -> Result<Option<DeviceCode>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLS} FROM device_codes WHERE user_code_hash = $1"))
            .bind(user_code_hash)
            .fetch_optional(conn)
            .await?,
    )
}

/// Approves (`approve = true`) or denies a pending, unexpired request; false when it is no
/// longer pending.
pub async fn decide(conn: &mut Conn, id: i64, user_id: i64, approve: bool, now: i64) -> Result<bool> {
    let column = if approve { "approved_at" } else { "denied_at" };
    let r = sqlx::query(&format!(
        "UPDATE device_codes SET user_id = $1, {column} = $2 \
         WHERE id = $3 AND approved_at IS NULL AND denied_at IS NULL AND expires_at > $2"
    ))
    .bind(user_id)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Records a poll and the interval now in force.
pub async fn record_poll(conn: &mut Conn, id: i64, now: i64, interval_ms: i64) -> Result<()> {
    sqlx::query("UPDATE device_codes SET last_poll_at = $1, interval_ms = $2 WHERE id = $3")
        .bind(now)
        .bind(interval_ms)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks an approved request as collected with the token it produced; false when it was
/// already collected (so two concurrent polls cannot both get a token).
pub async fn consume(conn: &mut Conn, id: i64, token_id: i64, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE device_codes SET consumed_at = $1, token_id = $2 \
         WHERE id = $3 AND consumed_at IS NULL AND approved_at IS NOT NULL",
    )
    .bind(now)
    .bind(token_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Deletes requests that expired before `before`.
pub async fn delete_expired(conn: &mut Conn, before: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM device_codes WHERE expires_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}
