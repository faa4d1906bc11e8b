//! Security advisories (migration 0012): the OSV document of each, the packages it affects
//! (for lookups by OSV ecosystem and name), its review state, and the per-year counter of
//! `TROVE-YYYY-N` ids.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Advisory {
    pub id: String,
    /// `local` (made in Trove, belongs to a package) or `imported` (from an OSV dump).
    pub source: String,
    /// `reported`, `published` or `rejected`.
    pub state: String,
    pub package_id: Option<i64>,
    pub namespace_id: Option<i64>,
    pub reporter_id: Option<i64>,
    pub summary: String,
    #[sqlx(try_from = "crate::decode::Flag")]
    pub malicious: bool,
    /// The OSV JSON document.
    pub doc: String,
    pub created_at: i64,
    pub modified_at: i64,
    pub withdrawn_at: Option<i64>,
}

impl Advisory {
    pub fn is_imported(&self) -> bool {
        self.source == "imported"
    }
    pub fn is_published(&self) -> bool {
        self.state == "published"
    }
}

const SELECT: &str = "SELECT id, source, state, package_id, namespace_id, reporter_id, summary, malicious, doc, \
     created_at, modified_at, withdrawn_at FROM advisories";

/// Hands out the next number of `year` (1, 2, …) inside the caller's transaction.
pub async fn next_number(conn: &mut Conn, year: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "INSERT INTO advisory_ids (year, last) VALUES ($1, 1) \
         ON CONFLICT (year) DO UPDATE SET last = advisory_ids.last + 1 RETURNING last",
    )
    .bind(year)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// What is written for an advisory (insert or replace).
pub struct AdvisoryRow<'a> {
    pub id: &'a str,
    pub source: &'a str,
    pub state: &'a str,
    pub package_id: Option<i64>,
    pub namespace_id: Option<i64>,
    pub reporter_id: Option<i64>,
    pub summary: &'a str,
    pub malicious: bool,
    pub doc: &'a str,
    pub created_at: i64,
    pub modified_at: i64,
    pub withdrawn_at: Option<i64>,
    /// (OSV ecosystem, normalized name) of every affected package.
    pub packages: &'a [(String, String)],
}

/// Inserts the advisory, or replaces every field of the one with that id, and its affected
/// packages.
pub async fn upsert(conn: &mut Conn, a: AdvisoryRow<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO advisories (id, source, state, package_id, namespace_id, reporter_id, summary, malicious, doc, \
         created_at, modified_at, withdrawn_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (id) DO UPDATE SET source = $2, state = $3, package_id = $4, namespace_id = $5, \
         reporter_id = $6, summary = $7, malicious = $8, doc = $9, modified_at = $11, withdrawn_at = $12",
    )
    .bind(a.id)
    .bind(a.source)
    .bind(a.state)
    .bind(a.package_id)
    .bind(a.namespace_id)
    .bind(a.reporter_id)
    .bind(a.summary)
    .bind(i64::from(a.malicious))
    .bind(a.doc)
    .bind(a.created_at)
    .bind(a.modified_at)
    .bind(a.withdrawn_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM advisory_packages WHERE advisory_id = $1")
        .bind(a.id)
        .execute(&mut *conn)
        .await?;
    for (eco, name) in a.packages {
        sqlx::query(
            "INSERT INTO advisory_packages (advisory_id, ecosystem, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(a.id)
        .bind(eco)
        .bind(name)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Sets the review state (and the document, which carries the new `modified`).
pub async fn set_state(conn: &mut Conn, id: &str, state: &str, doc: &str, modified_at: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE advisories SET state = $2, doc = $3, modified_at = $4 WHERE id = $1")
        .bind(id)
        .bind(state)
        .bind(doc)
        .bind(modified_at)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn find(conn: &mut Conn, id: &str) -> Result<Option<Advisory>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Advisories affecting a package of that OSV ecosystem and normalized name, in every state.
pub async fn for_package(conn: &mut Conn, ecosystem: &str, name: &str) -> Result<Vec<Advisory>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE id IN (SELECT advisory_id FROM advisory_packages WHERE ecosystem = $1 AND name = $2) ORDER BY id"
    ))
    .bind(ecosystem)
    .bind(name)
    .fetch_all(conn)
    .await?)
}

/// Advisories belonging to a Trove package, in every state.
pub async fn of_trove_package(conn: &mut Conn, package_id: i64) -> Result<Vec<Advisory>> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE package_id = $1 ORDER BY created_at DESC, id"))
            .bind(package_id)
            .fetch_all(conn)
            .await?,
    )
}

/// Advisories affecting any package of an OSV ecosystem (for the export), in every state.
pub async fn in_ecosystem(conn: &mut Conn, ecosystem: &str) -> Result<Vec<Advisory>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE id IN (SELECT advisory_id FROM advisory_packages WHERE ecosystem = $1) ORDER BY id"
    ))
    .bind(ecosystem)
    .fetch_all(conn)
    .await?)
}

/// The OSV ecosystems that have advisories.
pub async fn ecosystems(conn: &mut Conn) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT ecosystem FROM advisory_packages ORDER BY ecosystem")
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(e,)| e).collect())
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub state: Option<String>,
    pub ecosystem: Option<String>,
    /// A substring of the id or the summary (case-insensitive).
    pub text: Option<String>,
    /// Only these namespaces' local advisories (a review queue); `None`: any.
    pub namespace_ids: Option<Vec<i64>>,
    /// Skip advisories whose modification time (ms) is at or after this… (paging newest first).
    pub before_modified: Option<i64>,
    pub limit: i64,
}

/// Advisories newest-modified first.
pub async fn list(conn: &mut Conn, f: &ListFilter) -> Result<Vec<Advisory>> {
    let text = f.text.as_ref().map(|t| format!("%{}%", t.to_lowercase()));
    let ns_list = f
        .namespace_ids
        .as_ref()
        .map(|ids| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
    // The namespace list is made of integers only, so it is safe to inline.
    let ns_clause = match &ns_list {
        Some(l) if l.is_empty() => " AND 1 = 0".to_string(),
        Some(l) => format!(" AND namespace_id IN ({l})"),
        None => String::new(),
    };
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE ($1 IS NULL OR state = $1) \
         AND ($2 IS NULL OR id IN (SELECT advisory_id FROM advisory_packages WHERE ecosystem = $2)) \
         AND ($3 IS NULL OR LOWER(id) LIKE $3 OR LOWER(summary) LIKE $3) \
         AND ($4 IS NULL OR modified_at < $4){ns_clause} ORDER BY modified_at DESC, id LIMIT $5"
    ))
    .bind(f.state.as_deref())
    .bind(f.ecosystem.as_deref())
    .bind(text.as_deref())
    .bind(f.before_modified)
    .bind(f.limit)
    .fetch_all(conn)
    .await?)
}
