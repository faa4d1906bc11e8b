//! Recording and reading the audit log.

use crate::{Ctx, Result, ServiceError};
use trove_core::{now_ms, TokenScope};
use trove_db::audit::{AuditEvent, AuditFilter, NewEvent};
use trove_db::Conn;

sub_service!(
    /// The audit log.
    Audit,
    audit
);

/// Writes an audit event inside the caller's transaction, so the event exists exactly when
/// the action does.
pub async fn record(
    conn: &mut Conn,
    ctx: &Ctx,
    action: &str,
    target: &str,
    namespace_id: Option<i64>,
    details: serde_json::Value,
) -> Result<()> {
    let user = ctx.user();
    trove_db::audit::insert(
        conn,
        NewEvent {
            at: now_ms(),
            actor_id: user.map(|u| u.id),
            actor: user.map(|u| u.username.as_str()),
            action,
            target,
            namespace_id,
            ip: ctx.ip.as_deref(),
            details: &details,
        },
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this organization's events (org owners may read those).
    pub org: Option<String>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub before_id: Option<i64>,
    pub limit: Option<i64>,
}

impl Audit<'_> {
    /// Site admins read everything; organization owners read their organization's events.
    pub async fn list_audit(&self, ctx: &Ctx, q: AuditQuery) -> Result<Vec<AuditEvent>> {
        let p = ctx.require_scope(TokenScope::Admin)?;
        let mut conn = self.db.conn().await?;
        let mut filter = AuditFilter {
            action: q.action,
            actor: q.actor,
            before_id: q.before_id,
            limit: q.limit.unwrap_or(100).clamp(1, 1000),
            namespace_id: None,
        };
        if let Some(org) = &q.org {
            let ns = trove_db::namespaces::find(&mut conn, org)
                .await?
                .filter(|n| n.is_org())
                .ok_or_else(|| ServiceError::not_found(format!("organization `{org}` not found")))?;
            let role = crate::access::namespace_role(&mut conn, &p.user, &ns).await?;
            if !p.user.admin() && role != Some(crate::access::Role::Owner) {
                return Err(ServiceError::forbidden(
                    "only organization owners may read its audit log",
                ));
            }
            filter.namespace_id = Some(ns.id);
        } else if !p.user.admin() {
            return Err(ServiceError::forbidden(
                "only site admins may read the whole audit log; pass `org` for an organization you own",
            ));
        }
        Ok(trove_db::audit::list(&mut conn, &filter).await?)
    }
}
