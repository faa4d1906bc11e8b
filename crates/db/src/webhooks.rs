//! Webhooks, their delivery queue and the attempt log. Deliveries are claimed with a lease
//! (`locked_until`) so several nodes can work the same queue without sending twice.

use crate::{Conn, Result};
use trove_core::DeliveryStatus;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Webhook {
    pub id: i64,
    pub namespace_id: i64,
    pub url: String,
    pub secret: String,
    /// Event names (stored as a JSON array).
    #[sqlx(try_from = "crate::decode::JsonStrings")]
    pub events: Vec<String>,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub payload: String,
    #[sqlx(try_from = "String")]
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attempt {
    pub delivery_id: i64,
    pub attempt: i64,
    pub at: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

const HOOK_COLS: &str = "id, namespace_id, url, secret, events, created_by, created_at";
const DELIVERY_COLS: &str =
    "id, webhook_id, event, payload, status, attempts, next_attempt_at, created_at, delivered_at";

pub async fn insert(
    conn: &mut Conn,
    namespace_id: i64,
    url: &str,
    secret: &str,
    events: &[String],
    created_by: Option<i64>,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO webhooks (namespace_id, url, secret, events, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(namespace_id)
    .bind(url)
    .bind(secret)
    .bind(serde_json::to_string(events).unwrap_or_else(|_| "[]".into()))
    .bind(created_by)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn list(conn: &mut Conn, namespace_id: i64) -> Result<Vec<Webhook>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {HOOK_COLS} FROM webhooks WHERE namespace_id = $1 ORDER BY id"
    ))
    .bind(namespace_id)
    .fetch_all(conn)
    .await?)
}

pub async fn count(conn: &mut Conn, namespace_id: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM webhooks WHERE namespace_id = $1")
        .bind(namespace_id)
        .fetch_one(conn)
        .await?;
    Ok(n)
}

pub async fn find(conn: &mut Conn, namespace_id: i64, id: i64) -> Result<Option<Webhook>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {HOOK_COLS} FROM webhooks WHERE namespace_id = $1 AND id = $2"
    ))
    .bind(namespace_id)
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn find_by_id(conn: &mut Conn, id: i64) -> Result<Option<Webhook>> {
    Ok(
        sqlx::query_as(&format!("SELECT {HOOK_COLS} FROM webhooks WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Deletes a webhook with its deliveries and attempts.
pub async fn delete(conn: &mut Conn, id: i64) -> Result<bool> {
    sqlx::query(
        "DELETE FROM webhook_attempts WHERE delivery_id IN \
         (SELECT id FROM webhook_deliveries WHERE webhook_id = $1)",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let r = sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Queues a delivery, due now.
pub async fn enqueue(conn: &mut Conn, webhook_id: i64, event: &str, payload: &str, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO webhook_deliveries (webhook_id, event, payload, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, 'pending', 0, $4, $4) RETURNING id",
    )
    .bind(webhook_id)
    .bind(event)
    .bind(payload)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Ids of pending deliveries that are due and not leased by a worker.
pub async fn due(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
         AND (locked_until IS NULL OR locked_until < $1) ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Takes the lease on a delivery until `until`; false when another worker holds it or it is
/// no longer pending.
pub async fn claim(conn: &mut Conn, id: i64, now: i64, until: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE webhook_deliveries SET locked_until = $1 WHERE id = $2 AND status = 'pending' \
         AND (locked_until IS NULL OR locked_until < $3)",
    )
    .bind(until)
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn find_delivery(conn: &mut Conn, id: i64) -> Result<Option<Delivery>> {
    Ok(
        sqlx::query_as(&format!("SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

pub struct AttemptRecord<'a> {
    pub delivery_id: i64,
    pub attempt: i64,
    pub at: i64,
    pub status_code: Option<i64>,
    pub error: Option<&'a str>,
    pub duration_ms: i64,
}

/// Logs an attempt and moves the delivery on: `status` is the new state, `next_attempt_at`
/// when it is retried. Releases the lease.
pub async fn record_attempt(
    conn: &mut Conn,
    a: AttemptRecord<'_>,
    status: DeliveryStatus,
    next_attempt_at: i64,
    delivered_at: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.delivery_id)
    .bind(a.attempt)
    .bind(a.at)
    .bind(a.status_code)
    .bind(a.error)
    .bind(a.duration_ms)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET attempts = $1, status = $2, next_attempt_at = $3, \
         delivered_at = $4, locked_until = NULL WHERE id = $5",
    )
    .bind(a.attempt)
    .bind(status.as_str())
    .bind(next_attempt_at)
    .bind(delivered_at)
    .bind(a.delivery_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A webhook's deliveries, newest first.
pub async fn deliveries(conn: &mut Conn, webhook_id: i64, limit: i64) -> Result<Vec<Delivery>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(webhook_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The attempts of a webhook's deliveries with an id of at least `min_delivery_id`.
pub async fn attempts(conn: &mut Conn, webhook_id: i64, min_delivery_id: i64) -> Result<Vec<Attempt>> {
    Ok(sqlx::query_as(
        "SELECT a.delivery_id, a.attempt, a.at, a.status_code, a.error, a.duration_ms \
         FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
         WHERE d.webhook_id = $1 AND d.id >= $2 ORDER BY a.delivery_id, a.attempt",
    )
    .bind(webhook_id)
    .bind(min_delivery_id)
    .fetch_all(conn)
    .await?)
}
