//! The native API's wire types: every request and response body of `/api/v1`, in one place.
//!
//! The service builds these types (its `views` re-export them), the API's handlers send and
//! receive them, the OpenAPI document's `components.schemas` are derived from them
//! ([`component_schemas`]), and the client deserializes them. Doc comments are the
//! document's descriptions; patterns, lengths and vocabularies come from the shared constants
//! of [`patterns`], [`limits`] and `trove_core`. Request bodies the server refuses unknown
//! members of are `#[serde(deny_unknown_fields)]` (`additionalProperties: false`).
//!
//! Members that are always sent but may be null are `Option`s marked `required` in the
//! schema: the document says they are present, and the client still decodes an answer that
//! lacks them.

mod accounts;
mod advisories;
mod audit;
mod device;
mod discovery;
mod document;
mod error;
pub mod limits;
mod orgs;
mod packages;
pub mod patterns;
mod retention;
mod rules;
mod stats;
mod tokens;
pub mod vocab;
mod webhooks;

pub use accounts::{Auth, Login, Me, Membership, NewUser, Session, User};
pub use advisories::{
    Advisory, AdvisoryContent, AdvisoryWithdrawal, AffectedVersions, NewAdvisory, OsvCredit, OsvEvent, OsvRange,
    OsvReference, OsvSeverity,
};
pub use audit::{AuditEvent, AuditLog};
pub use device::{DeviceCode, DeviceCodeRequest, DeviceDecision, DeviceGrant, DeviceTokenRequest, TokenType, UserCode};
pub use discovery::{Categories, Category, Explore, Facets, PackageSummary, SearchResults, Totals, TrendingPackage};
pub use document::component_schemas;
pub use error::{Error, ErrorDetail};
pub use orgs::{Member, MemberRole, NewOrg, Org};
pub use packages::{
    Deprecation, Manifest, ManifestPackage, Owner, OwnerRoleRequest, Package, PackageUpdate, Scan, Version, Yank,
};
pub use retention::{QuotaUpdate, RetentionItem, RetentionPolicy, RetentionReport, RetentionRules, StorageUsage};
pub use rules::{name_schema, version_schema};
pub use stats::{DailyCount, PackageStats, VersionDownloads, VersionStats};
pub use tokens::{NewToken, Token, TokenCreated};
pub use webhooks::{Delivery, DeliveryAttempt, DeliveryPayload, DeliveryQueued, NewWebhook, Webhook, WebhookCreated};

/// `{"$ref": "#/components/schemas/<name of T>"}`: names a component in the document.
pub fn schema_ref<T: utoipa::ToSchema>() -> serde_json::Value {
    serde_json::json!({ "$ref": format!("#/components/schemas/{}", T::name()) })
}
/// The trait of the types that have a named schema (utoipa's), for [`schema_ref`].
pub use utoipa::ToSchema;
