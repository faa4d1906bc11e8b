//! Retention policies per namespace (migration 0014) and what the retention job reads to
//! apply them: OCI manifests and what references them, and the live versions that declare
//! dependencies.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Policy {
    pub namespace_id: i64,
    pub keep_last: Option<i64>,
    pub max_age_days: Option<i64>,
    pub pattern: Option<String>,
    #[sqlx(try_from = "crate::decode::Flag")]
    pub delete_untagged: bool,
    pub last_run_at: Option<i64>,
    pub updated_at: i64,
}

const COLS: &str = "namespace_id, keep_last, max_age_days, pattern, delete_untagged, last_run_at, updated_at";

/// The rules of a policy as set by a namespace admin.
#[derive(Debug, Clone, Default)]
pub struct Rules<'a> {
    pub keep_last: Option<i64>,
    pub max_age_days: Option<i64>,
    pub pattern: Option<&'a str>,
    pub delete_untagged: bool,
}

pub async fn get(conn: &mut Conn, namespace_id: i64) -> Result<Option<Policy>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM retention_policies WHERE namespace_id = $1"
    ))
    .bind(namespace_id)
    .fetch_optional(conn)
    .await?)
}

/// Sets (creates or replaces) the namespace's policy.
pub async fn set(conn: &mut Conn, namespace_id: i64, r: &Rules<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO retention_policies (namespace_id, keep_last, max_age_days, pattern, delete_untagged, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (namespace_id) DO UPDATE SET keep_last = $2, \
         max_age_days = $3, pattern = $4, delete_untagged = $5, updated_at = $6",
    )
    .bind(namespace_id)
    .bind(r.keep_last)
    .bind(r.max_age_days)
    .bind(r.pattern)
    .bind(i64::from(r.delete_untagged))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the namespace's policy; false when it had none.
pub async fn delete(conn: &mut Conn, namespace_id: i64) -> Result<bool> {
    let r = sqlx::query("DELETE FROM retention_policies WHERE namespace_id = $1")
        .bind(namespace_id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Namespaces whose policy has neither run nor changed since `since` and whose lease is
/// free (a new or changed policy first runs one interval later, leaving time to preview it).
pub async fn due(conn: &mut Conn, since: i64, now: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT namespace_id FROM retention_policies WHERE lease_until < $1 \
         AND COALESCE(last_run_at, updated_at) < $2 AND updated_at < $2 ORDER BY namespace_id",
    )
    .bind(now)
    .bind(since)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Takes the lease on a namespace's policy until `until`; false when another node holds it.
pub async fn claim(conn: &mut Conn, namespace_id: i64, now: i64, until: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE retention_policies SET lease_until = $1 WHERE namespace_id = $2 AND lease_until < $3")
        .bind(until)
        .bind(namespace_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Notes a finished run and releases the lease.
pub async fn finish(conn: &mut Conn, namespace_id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE retention_policies SET lease_until = 0, last_run_at = $1 WHERE namespace_id = $2")
        .bind(now)
        .bind(namespace_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A repository's manifests: (digest, size, created_at, subject), oldest first.
pub async fn manifests(conn: &mut Conn, package_id: i64) -> Result<Vec<(String, i64, i64, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT digest, size, created_at, subject FROM oci_manifests WHERE package_id = $1 \
         ORDER BY created_at, digest",
    )
    .bind(package_id)
    .fetch_all(conn)
    .await?)
}

/// The digests the repository's manifests reference (blobs and child manifests).
pub async fn manifest_refs(conn: &mut Conn, package_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT DISTINCT ref_digest FROM oci_manifest_refs WHERE package_id = $1")
            .bind(package_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(d,)| d).collect())
}

/// The dependencies (JSON) of live versions of other packages of `ecosystem` (in the
/// namespace `namespace_id` only, when given) whose lower-cased text matches the LIKE
/// `pattern` (callers parse them and compare names exactly).
pub async fn dependency_lists_mentioning(
    conn: &mut Conn,
    package_id: i64,
    ecosystem: &str,
    namespace_id: Option<i64>,
    pattern: &str,
) -> Result<Vec<String>> {
    let base = "SELECT v.dependencies FROM versions v JOIN packages p ON p.id = v.package_id \
         WHERE v.deleted_at IS NULL AND v.package_id <> $1 AND p.ecosystem = $2 \
         AND LOWER(v.dependencies) LIKE $3";
    let rows: Vec<(String,)> = match namespace_id {
        Some(ns) => {
            sqlx::query_as(&format!("{base} AND p.namespace_id = $4"))
                .bind(package_id)
                .bind(ecosystem)
                .bind(pattern)
                .bind(ns)
                .fetch_all(conn)
                .await?
        }
        None => {
            sqlx::query_as(base)
                .bind(package_id)
                .bind(ecosystem)
                .bind(pattern)
                .fetch_all(conn)
                .await?
        }
    };
    Ok(rows.into_iter().map(|(d,)| d).collect())
}
