//! Webhooks and their deliveries.

use crate::vocab;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The body of `POST /namespaces/{scope}/webhooks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    #[schema(schema_with = crate::rules::webhook_url)]
    pub url: String,
    #[schema(schema_with = crate::rules::webhook_events)]
    pub events: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    /// The user or organization it belongs to
    pub namespace: String,
    /// Receiver URL
    pub url: String,
    #[schema(value_type = Vec<vocab::WebhookEvent>)]
    pub events: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A new webhook with its signing secret, shown only this once
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// HMAC-SHA256 key of the `X-Trove-Signature` header
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryAttempt {
    /// 1-based
    pub attempt: i64,
    #[schema(format = DateTime)]
    pub at: String,
    /// Null when no answer came
    #[schema(required)]
    pub status_code: Option<i64>,
    /// Why it failed, if it did
    #[schema(required)]
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// The JSON body sent to the receiver
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPayload {
    /// A webhook event, or `ping`
    pub event: String,
    pub namespace: String,
    #[schema(required)]
    pub package: Option<String>,
    #[schema(required)]
    pub version: Option<String>,
    #[schema(required)]
    pub actor: Option<String>,
    #[schema(format = DateTime)]
    pub at: String,
    /// Event-specific
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// A queued, delivered or failed webhook delivery
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    /// A webhook event, or `ping`
    pub event: String,
    #[schema(value_type = vocab::DeliveryStatus)]
    pub status: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(required, format = DateTime)]
    pub delivered_at: Option<String>,
    /// When a pending delivery is tried next
    #[schema(required, format = DateTime)]
    pub next_attempt_at: Option<String>,
    /// The body sent, as queued
    #[schema(value_type = DeliveryPayload)]
    pub payload: serde_json::Value,
    pub attempts: Vec<DeliveryAttempt>,
}

/// The answer of `POST …/webhooks/{id}/test`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryQueued {
    pub delivery_id: i64,
}
