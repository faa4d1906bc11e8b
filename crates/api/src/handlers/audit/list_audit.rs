use crate::error::{ApiResult, Json, Query};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use serde::Deserialize;
use trove_service::views::audit_event_view;
use trove_wire::AuditLog;

#[derive(Deserialize)]
pub struct AuditParams {
    pub org: Option<String>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// `GET /api/v1/audit`: newest first; site admins see all, org owners pass `org`.
pub async fn list_audit(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<AuditParams>,
) -> ApiResult<Json<AuditLog>> {
    let events = state
        .services
        .audit()
        .list_audit(
            &ctx,
            trove_service::audit::AuditQuery {
                org: q.org,
                action: q.action,
                actor: q.actor,
                before_id: q.before,
                limit: q.limit,
            },
        )
        .await?;
    Ok(Json(AuditLog {
        events: events.into_iter().map(audit_event_view).collect(),
    }))
}
