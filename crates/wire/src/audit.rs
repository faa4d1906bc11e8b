//! The audit log.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    /// Increasing; pass as `before` to page back
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    /// Username; null for anonymous or system actions
    #[schema(required)]
    pub actor: Option<String>,
    /// e.g. `version.publish`
    pub action: String,
    pub target: String,
    #[schema(required)]
    pub ip: Option<String>,
    /// Action-specific
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Newest first
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditLog {
    pub events: Vec<AuditEvent>,
}
