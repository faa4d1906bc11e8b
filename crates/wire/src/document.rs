//! The named schemas of the OpenAPI document (`components.schemas`), derived from the types.

use crate::*;
use serde_json::{Map, Value};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(components(schemas(
    Error,
    vocab::TokenScope,
    vocab::Ecosystem,
    vocab::PackageKind,
    vocab::Visibility,
    vocab::OrgRole,
    vocab::OwnerRole,
    vocab::WebhookEvent,
    vocab::DeliveryStatus,
    vocab::ScanStatus,
    NewUser,
    User,
    Login,
    Session,
    Me,
    NewToken,
    Token,
    TokenCreated,
    DeviceCodeRequest,
    DeviceCode,
    UserCode,
    DeviceDecision,
    DeviceTokenRequest,
    DeviceGrant,
    NewOrg,
    Member,
    Org,
    MemberRole,
    Package,
    PackageUpdate,
    Manifest,
    Version,
    Scan,
    Yank,
    Deprecation,
    Owner,
    OwnerRoleRequest,
    AuditEvent,
    AuditLog,
    PackageSummary,
    Facets,
    SearchResults,
    Category,
    Categories,
    Totals,
    TrendingPackage,
    Explore,
    DailyCount,
    VersionDownloads,
    VersionStats,
    PackageStats,
    NewWebhook,
    Webhook,
    WebhookCreated,
    DeliveryAttempt,
    DeliveryPayload,
    Delivery,
    DeliveryQueued,
    OsvSeverity,
    OsvEvent,
    OsvRange,
    AffectedVersions,
    OsvReference,
    OsvCredit,
    AdvisoryContent,
    NewAdvisory,
    Advisory,
    AdvisoryWithdrawal,
    RetentionRules,
    RetentionPolicy,
    RetentionItem,
    RetentionReport,
    StorageUsage,
    QuotaUpdate,
)))]
struct Components;

/// Every named schema, as JSON. A type that embeds another (`#[serde(flatten)]`, which utoipa
/// writes as `allOf`) is written out as one object with all the members, as the server sends
/// it.
pub fn component_schemas() -> Map<String, Value> {
    let doc = serde_json::to_value(Components::openapi()).expect("the OpenAPI model serializes");
    let Some(Value::Object(mut schemas)) = doc.pointer("/components/schemas").cloned() else {
        panic!("no components.schemas");
    };
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        let flat = flatten(&schemas, &schemas[&name]);
        schemas.insert(name, flat);
    }
    schemas
}

/// `schema` with an `allOf` of objects (inline or `$ref`s to `schemas`) merged into one object.
fn flatten(schemas: &Map<String, Value>, schema: &Value) -> Value {
    let Some(parts) = schema.get("allOf").and_then(Value::as_array) else {
        return schema.clone();
    };
    let mut properties = Map::new();
    let mut required = Vec::new();
    for part in parts {
        let part = match part.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.strip_prefix("#/components/schemas/").expect("a local $ref");
                flatten(schemas, &schemas[name])
            }
            None => flatten(schemas, part),
        };
        assert_eq!(part["type"], "object", "only objects are flattened: {part}");
        if let Some(Value::Object(p)) = part.get("properties") {
            properties.extend(p.clone());
        }
        if let Some(Value::Array(r)) = part.get("required") {
            required.extend(r.iter().cloned());
        }
    }
    let mut out = Map::new();
    out.insert("type".into(), "object".into());
    if let Some(d) = schema.get("description") {
        out.insert("description".into(), d.clone());
    }
    out.insert("properties".into(), Value::Object(properties));
    out.insert("required".into(), Value::Array(required));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` points at a defined component, and no `allOf` is left.
    #[test]
    fn schemas_are_closed_over_their_refs() {
        let schemas = component_schemas();
        fn walk(v: &Value, schemas: &Map<String, Value>) {
            match v {
                Value::Object(m) => {
                    assert!(!m.contains_key("allOf"), "{v}");
                    if let Some(Value::String(r)) = m.get("$ref") {
                        let name = r.strip_prefix("#/components/schemas/").expect("local ref");
                        assert!(schemas.contains_key(name), "{r} is not defined");
                    }
                    m.values().for_each(|x| walk(x, schemas));
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, schemas)),
                _ => {}
            }
        }
        walk(&Value::Object(schemas.clone()), &schemas);
    }

    /// The server sends every member of its answers (null when there is no value), so an
    /// answer's schema requires them all: an `Option` member of a response type needs
    /// `#[schema(required)]`, or the traffic test could not notice it going missing.
    #[test]
    fn answers_require_every_member() {
        const REQUESTS: &[&str] = &[
            "NewUser",
            "Login",
            "NewToken",
            "DeviceCodeRequest",
            "UserCode",
            "DeviceTokenRequest",
            "NewOrg",
            "MemberRole",
            "PackageUpdate",
            "Deprecation",
            "Yank",
            "OwnerRoleRequest",
            "NewWebhook",
            "NewAdvisory",
            "AdvisoryContent",
            "AffectedVersions",
            "OsvSeverity",
            "OsvRange",
            "OsvEvent",
            "OsvReference",
            "OsvCredit",
            "AdvisoryWithdrawal",
            "RetentionRules",
            "QuotaUpdate",
        ];
        fn check(at: &str, v: &Value) {
            if let Some(Value::Object(props)) = v.get("properties") {
                let required: Vec<&str> = v["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for (name, p) in props {
                    assert!(required.contains(&name.as_str()), "{at}.{name} is not required");
                    check(&format!("{at}.{name}"), p);
                }
            }
            for key in ["items", "additionalProperties"] {
                if let Some(inner) = v.get(key) {
                    check(at, inner);
                }
            }
            if let Some(Value::Array(branches)) = v.get("oneOf") {
                branches.iter().for_each(|b| check(at, b));
            }
        }
        for (name, schema) in component_schemas() {
            if !REQUESTS.contains(&name.as_str()) {
                check(&name, &schema);
            }
        }
    }
}
