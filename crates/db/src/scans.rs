//! Publish-time scans: one row per scanned version or OCI manifest, both the job (claimed with
//! a lease, `locked_until`, exactly like webhook deliveries) and its latest result.

use crate::{Conn, Result};
use trove_core::ScanStatus;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Scan {
    pub id: i64,
    pub package_id: i64,
    pub version_id: Option<i64>,
    pub manifest_digest: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: ScanStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub exit_code: Option<i64>,
    /// The scanner's JSON findings, as text.
    pub findings: Option<String>,
    pub output: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const COLS: &str = "id, package_id, version_id, manifest_digest, status, attempts, next_attempt_at, \
    exit_code, findings, output, error, created_at, started_at, finished_at";

/// The result columns a new job starts from (a re-run clears the previous result).
const RESET: &str = "status = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at, \
    locked_until = NULL, exit_code = NULL, findings = NULL, output = NULL, error = NULL, \
    started_at = NULL, finished_at = NULL";

/// Queues a scan of a version, due now; a version scanned before (a PyPI release that gained
/// a file) is queued again from scratch.
pub async fn enqueue_version(conn: &mut Conn, package_id: i64, version_id: i64, now: i64) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO scans (package_id, version_id, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, 'pending', 0, $3, $3) \
         ON CONFLICT (version_id) WHERE version_id IS NOT NULL DO UPDATE SET {RESET}"
    ))
    .bind(package_id)
    .bind(version_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues a scan of an OCI manifest's layers, due now; a manifest already scanned (pushed
/// again, under another tag) keeps its result.
pub async fn enqueue_manifest(conn: &mut Conn, package_id: i64, digest: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO scans (package_id, manifest_digest, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, 'pending', 0, $3, $3) \
         ON CONFLICT (package_id, manifest_digest) WHERE manifest_digest IS NOT NULL DO NOTHING",
    )
    .bind(package_id)
    .bind(digest)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues an existing scan again from scratch (an admin's re-run).
pub async fn requeue(conn: &mut Conn, id: i64, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE scans SET status = 'pending', attempts = 0, next_attempt_at = $1, locked_until = NULL, \
         exit_code = NULL, findings = NULL, output = NULL, error = NULL, started_at = NULL, finished_at = NULL \
         WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Ids of pending scans that are due and not leased by a worker.
pub async fn due(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM scans WHERE status = 'pending' AND next_attempt_at <= $1 \
         AND (locked_until IS NULL OR locked_until < $1) ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Takes the lease on a scan until `until`; false when another worker holds it or it is no
/// longer pending.
pub async fn claim(conn: &mut Conn, id: i64, now: i64, until: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE scans SET locked_until = $1, started_at = $3 WHERE id = $2 AND status = 'pending' \
         AND (locked_until IS NULL OR locked_until < $3)",
    )
    .bind(until)
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn find(conn: &mut Conn, id: i64) -> Result<Option<Scan>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM scans WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn for_version(conn: &mut Conn, version_id: i64) -> Result<Option<Scan>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLS} FROM scans WHERE version_id = $1"))
            .bind(version_id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn for_manifest(conn: &mut Conn, package_id: i64, digest: &str) -> Result<Option<Scan>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM scans WHERE package_id = $1 AND manifest_digest = $2"
    ))
    .bind(package_id)
    .bind(digest)
    .fetch_optional(conn)
    .await?)
}

/// Every scan of a package's versions and manifests.
pub async fn for_package(conn: &mut Conn, package_id: i64) -> Result<Vec<Scan>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLS} FROM scans WHERE package_id = $1 ORDER BY id"))
            .bind(package_id)
            .fetch_all(conn)
            .await?,
    )
}

/// What one attempt ended with.
pub struct Outcome<'a> {
    pub attempts: i64,
    pub status: ScanStatus,
    /// When a pending scan is tried again.
    pub next_attempt_at: i64,
    pub exit_code: Option<i64>,
    pub findings: Option<&'a str>,
    pub output: Option<&'a str>,
    pub error: Option<&'a str>,
    pub finished_at: Option<i64>,
}

/// Records an attempt's outcome and releases the lease; false when the scan was re-queued
/// (or is gone) meanwhile: `started_at` no longer matches the claim's.
pub async fn finish(conn: &mut Conn, id: i64, started_at: i64, o: Outcome<'_>) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE scans SET attempts = $1, status = $2, next_attempt_at = $3, exit_code = $4, findings = $5, \
         output = $6, error = $7, finished_at = $8, locked_until = NULL WHERE id = $9 AND started_at = $10",
    )
    .bind(o.attempts)
    .bind(o.status.as_str())
    .bind(o.next_attempt_at)
    .bind(o.exit_code)
    .bind(o.findings)
    .bind(o.output)
    .bind(o.error)
    .bind(o.finished_at)
    .bind(id)
    .bind(started_at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
