use crate::error::{ApiResult, Json, Query};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use serde::Deserialize;

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
) -> ApiResult<Json<serde_json::Value>> {
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
    let events: Vec<_> = events
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "id": e.id,
                "at": trove_core::time::rfc3339(e.at),
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "ip": e.ip,
                "details": serde_json::from_str::<serde_json::Value>(&e.details).unwrap_or_default(),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "events": events })))
}
