use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: Option<String>,
    pub action: String,
    pub target: String,
    pub namespace_id: Option<i64>,
    pub ip: Option<String>,
    /// JSON object.
    pub details: String,
}

pub struct NewEvent<'a> {
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: Option<&'a str>,
    pub action: &'a str,
    pub target: &'a str,
    pub namespace_id: Option<i64>,
    pub ip: Option<&'a str>,
    pub details: &'a serde_json::Value,
}

pub async fn insert(conn: &mut Conn, e: NewEvent<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (at, actor_id, actor, action, target, namespace_id, ip, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(e.at)
    .bind(e.actor_id)
    .bind(e.actor)
    .bind(e.action)
    .bind(e.target)
    .bind(e.namespace_id)
    .bind(e.ip)
    .bind(e.details.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub namespace_id: Option<i64>,
    pub action: Option<String>,
    pub actor: Option<String>,
    /// Only events with an id below this (for paging backwards).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Newest first.
pub async fn list(conn: &mut Conn, f: &AuditFilter) -> Result<Vec<AuditEvent>> {
    Ok(sqlx::query_as(
        "SELECT id, at, actor_id, actor, action, target, namespace_id, ip, details FROM audit_events \
         WHERE ($1 IS NULL OR namespace_id = $1) AND ($2 IS NULL OR action = $2) \
         AND ($3 IS NULL OR actor = $3) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5",
    )
    .bind(f.namespace_id)
    .bind(f.action.as_deref())
    .bind(f.actor.as_deref())
    .bind(f.before_id)
    .bind(f.limit)
    .fetch_all(conn)
    .await?)
}
