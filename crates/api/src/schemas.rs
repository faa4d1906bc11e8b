//! Which JSON bodies each operation takes and answers: the one part of the document that is
//! not derived from the wire types (`trove_wire`, whose `component_schemas` are the named
//! schemas), as the handlers' signatures are not visible to the route table.
//!
//! The integration test `openapi::documented_schemas_match_real_traffic` validates real
//! requests and responses against the document, so a body documented here with the wrong
//! type fails the suite.

use serde_json::{json, Value};
use trove_wire::*;

/// The request and success-response schemas of one operation (`None`: no JSON body).
pub struct OperationSchemas {
    pub request: Option<Value>,
    /// An example request body.
    pub example: Option<Value>,
    pub response: Option<Value>,
}

fn one<T: ToSchema>() -> Option<Value> {
    Some(schema_ref::<T>())
}

fn list<T: ToSchema>() -> Option<Value> {
    Some(json!({ "type": "array", "items": schema_ref::<T>() }))
}

/// A request body and its example.
fn body<T: ToSchema>(example: Value) -> (Option<Value>, Option<Value>) {
    (one::<T>(), Some(example))
}

const NONE: (Option<Value>, Option<Value>) = (None, None);

/// The JSON bodies of an operation (by its id, e.g. `get_package`). Operations without a
/// JSON request or response body get `None` there.
pub fn operation_schemas(operation_id: &str) -> OperationSchemas {
    let ((request, example), response) = match operation_id {
        "register_user" => (
            body::<NewUser>(json!({ "username": "alice", "email": "alice@example.com", "password": "correct horse" })),
            one::<User>(),
        ),
        "get_me" => (NONE, one::<Me>()),
        "create_session" => (
            body::<Login>(json!({ "username": "alice", "password": "correct horse" })),
            one::<Session>(),
        ),
        "list_tokens" => (NONE, list::<Token>()),
        "create_token" => (
            body::<NewToken>(
                json!({ "name": "ci", "scopes": ["publish", "yank"], "packages": ["alice/*"], "expires_in": 2592000 }),
            ),
            one::<TokenCreated>(),
        ),
        "create_device_code" => (
            body::<DeviceCodeRequest>(json!({ "client_name": "trove CLI on build-host" })),
            one::<DeviceCode>(),
        ),
        "approve_device" | "deny_device" => (
            body::<UserCode>(json!({ "user_code": "BCDF-GHJK" })),
            one::<DeviceDecision>(),
        ),
        "poll_device_token" => ((one::<DeviceTokenRequest>(), None), one::<DeviceGrant>()),
        "create_org" => (
            body::<NewOrg>(json!({ "name": "acme", "description": "Acme Corp" })),
            one::<Org>(),
        ),
        "get_org" => (NONE, one::<Org>()),
        "set_member" => (body::<MemberRole>(json!({ "role": "write" })), list::<Member>()),
        "list_namespace_packages" => (NONE, list::<Package>()),
        "get_package" => (NONE, one::<Package>()),
        "update_package" => (
            body::<PackageUpdate>(json!({ "visibility": "private" })),
            one::<Package>(),
        ),
        "list_versions" => (NONE, list::<Version>()),
        "publish_version" | "get_version" | "unyank_version" | "undeprecate_version" | "rerun_scan" => {
            (NONE, one::<Version>())
        }
        "yank_version" => (body::<Yank>(json!({ "reason": "broken build" })), one::<Version>()),
        "deprecate_version" => (body::<Deprecation>(json!({ "message": "use 2.x" })), one::<Version>()),
        "list_owners" => (NONE, list::<Owner>()),
        "add_owner" => (
            body::<OwnerRoleRequest>(json!({ "role": "maintainer" })),
            list::<Owner>(),
        ),
        "list_audit" => (NONE, one::<AuditLog>()),
        "search_packages" => (NONE, one::<SearchResults>()),
        "list_categories" => (NONE, one::<Categories>()),
        "get_explore" => (NONE, one::<Explore>()),
        "get_global_stats" => (NONE, one::<Totals>()),
        "get_package_stats" => (NONE, one::<PackageStats>()),
        "get_version_stats" => (NONE, one::<VersionStats>()),
        "list_webhooks" => (NONE, list::<Webhook>()),
        "create_webhook" => (
            body::<NewWebhook>(json!({ "url": "https://ci.example.com/trove", "events": ["publish", "yank"] })),
            one::<WebhookCreated>(),
        ),
        "list_webhook_deliveries" => (NONE, list::<Delivery>()),
        "test_webhook" => (NONE, one::<DeliveryQueued>()),
        "list_advisories" | "list_advisory_reports" => (NONE, list::<Advisory>()),
        "create_advisory" | "report_advisory" => (
            body::<NewAdvisory>(json!({
                "ecosystem": "npm",
                "package": "acme/left-pad",
                "summary": "Prototype pollution in left-pad",
                "details": "Padding with a crafted string sets `Object.prototype` members.",
                "aliases": ["CVE-2024-12345"],
                "severity": [{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N" }],
                "affected": [{ "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "0" }, { "fixed": "1.3.1" }] }] }],
                "references": [{ "type": "FIX", "url": "https://example.com/acme/left-pad/commit/1" }],
                "cwe_ids": ["CWE-1321"]
            })),
            one::<Advisory>(),
        ),
        "get_advisory" | "accept_advisory" | "reject_advisory" => (NONE, one::<Advisory>()),
        "edit_advisory" => (
            body::<AdvisoryContent>(json!({
                "summary": "Prototype pollution in left-pad",
                "affected": [{ "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "0" }, { "fixed": "1.3.2" }] }] }]
            })),
            one::<Advisory>(),
        ),
        "withdraw_advisory" => (
            body::<AdvisoryWithdrawal>(json!({ "reason": "not a vulnerability" })),
            one::<Advisory>(),
        ),
        "get_retention_policy" => (NONE, one::<RetentionPolicy>()),
        "set_retention_policy" => (
            // No `pattern` member here: the document's `pattern` keys are its regexes.
            body::<RetentionRules>(json!({ "keep_last": 5, "max_age_days": 30, "delete_untagged": true })),
            one::<RetentionPolicy>(),
        ),
        "preview_retention" | "apply_retention" => (NONE, one::<RetentionReport>()),
        "get_storage_usage" => (NONE, one::<StorageUsage>()),
        "set_quota" => (
            body::<QuotaUpdate>(json!({ "max_bytes": 1073741824 })),
            one::<StorageUsage>(),
        ),
        _ => (NONE, None),
    };
    OperationSchemas {
        request,
        example,
        response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route with a JSON body or a JSON success answer has a real schema, and every
    /// `$ref` points at a defined component.
    #[test]
    fn every_operation_has_its_schemas() {
        let components = component_schemas();
        for r in crate::ROUTES {
            let op = r.operation_id.rsplit("::").next().unwrap();
            let s = operation_schemas(op);
            assert_eq!(s.request.is_some(), r.body == "json", "{op} request");
            let json_response = r.status != 204 && op != "download_version";
            assert_eq!(s.response.is_some(), json_response, "{op} response");
            for schema in [s.request, s.response].into_iter().flatten() {
                let r = schema["$ref"].as_str().or(schema["items"]["$ref"].as_str()).unwrap();
                let name = r.strip_prefix("#/components/schemas/").expect("local ref");
                assert!(components.contains_key(name), "{op}: {r} is not defined");
            }
        }
    }
}
