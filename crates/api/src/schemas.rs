//! JSON Schemas (OpenAPI 3.1 = JSON Schema 2020-12) of the API's request and response bodies:
//! the named component schemas, and which of them each operation accepts and returns.
//!
//! These describe what the handlers actually (de)serialize; the integration test
//! `openapi::documented_schemas_match_real_traffic` validates real requests and responses
//! against them, so a renamed, retyped, added or removed field fails the suite until it is
//! documented here. Objects leave `additionalProperties` open for clients (new fields may be
//! added), except request bodies the server refuses unknown fields of.

use serde_json::{json, Map, Value};
use trove_core::{Ecosystem, PackageKind, TokenScope, Visibility};

/// The request and success-response schemas of one operation (`None`: no JSON body).
pub struct OperationSchemas {
    pub request: Option<Value>,
    /// An example request body.
    pub example: Option<Value>,
    pub response: Option<Value>,
}

/// `{"$ref": "#/components/schemas/<name>"}`.
pub fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn string(description: &str) -> Value {
    described(json!({ "type": "string" }), description)
}

fn nullable_string(description: &str) -> Value {
    described(json!({ "type": ["string", "null"] }), description)
}

fn integer(description: &str) -> Value {
    described(json!({ "type": "integer" }), description)
}

fn boolean(description: &str) -> Value {
    described(json!({ "type": "boolean" }), description)
}

/// An RFC 3339 UTC time, e.g. `2026-01-31T12:00:00.000Z`.
fn time(description: &str) -> Value {
    described(json!({ "type": "string", "format": "date-time" }), description)
}

fn nullable_time(description: &str) -> Value {
    described(
        json!({ "type": ["string", "null"], "format": "date-time" }),
        description,
    )
}

fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

fn strings(description: &str) -> Value {
    described(array(json!({ "type": "string" })), description)
}

fn enumeration(values: &[&str], description: &str) -> Value {
    described(json!({ "type": "string", "enum": values }), description)
}

/// A JSON object with arbitrary members.
fn free_object(description: &str) -> Value {
    described(json!({ "type": "object", "additionalProperties": true }), description)
}

/// A map from strings to values of `values`.
fn map_of(values: Value, description: &str) -> Value {
    described(json!({ "type": "object", "additionalProperties": values }), description)
}

fn described(mut schema: Value, description: &str) -> Value {
    if !description.is_empty() {
        schema["description"] = description.into();
    }
    schema
}

/// An object whose `required` members are always present and `optional` ones may be left out.
fn object(description: &str, required: &[(&str, Value)], optional: &[(&str, Value)]) -> Value {
    let mut props = Map::new();
    for (name, schema) in required.iter().chain(optional) {
        props.insert((*name).to_string(), schema.clone());
    }
    let names: Vec<&str> = required.iter().map(|(n, _)| *n).collect();
    described(
        json!({ "type": "object", "properties": props, "required": names }),
        description,
    )
}

/// `base` (an [`object`]) with more required members.
fn extend(mut base: Value, description: &str, more: &[(&str, Value)]) -> Value {
    for (name, schema) in more {
        base["properties"][*name] = schema.clone();
        base["required"]
            .as_array_mut()
            .expect("object schema")
            .push((*name).into());
    }
    described(base, description)
}

/// A closed object: unknown members are refused.
fn closed(mut schema: Value) -> Value {
    schema["additionalProperties"] = false.into();
    schema
}

/// Scope, package, organization and user names (`trove_core::name`): lowercase `[a-z0-9]`
/// with inner `-`, `_`, `.`.
pub const NAME_PATTERN: &str = "^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$";
/// Semver 2.0 (`trove_core::version::parse_version`; numbers of at most 19 digits fit a u64).
pub const SEMVER_PATTERN: &str = r"^(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})(-((0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$";
/// What registration takes for an email address: something before the first `@`, and after
/// it a domain that does not start with `.` and contains one.
pub const EMAIL_PATTERN: &str = r"^[^@]+@[^.][\s\S]*\.";
/// A token's package pattern: `scope/name` of lowercase letters, digits, `-`, `_`, `.` and
/// `*` wildcards, without `..`.
pub const PACKAGE_PATTERN_PATTERN: &str =
    r"^(\.?[a-z0-9_*-]+(\.[a-z0-9_*-]+)*\.?|\.)/(\.?[a-z0-9_*-]+(\.[a-z0-9_*-]+)*\.?|\.)$";
/// A webhook receiver: `http://` or `https://` (any case) and a host.
pub const WEBHOOK_URL_PATTERN: &str = "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]";
/// A device login's `client_name`: at most 100 characters and no control characters
/// (`char::is_control`) once leading and trailing whitespace is trimmed (`str::trim`; the
/// whitespace around may include `\t`, `\n`, … and U+0085, and does not count). As a pattern,
/// not `maxLength`, since the limit applies to the trimmed text.
pub const CLIENT_NAME_PATTERN: &str =
    "^[\\t-\\r \\x85\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]*\
     [^\\x00-\\x1f\\x7f-\\x9f]{0,100}\
     [\\t-\\r \\x85\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]*$";
/// Not blank: the server trims text (`str::trim`) before checking it is non-empty, so some
/// character other than the whitespace it trims (the class of [`CLIENT_NAME_PATTERN`]; ECMA-262's
/// `\S` is not that: it takes U+0085 as text and U+FEFF as whitespace).
pub const NON_BLANK_PATTERN: &str =
    "[^\\t-\\r \\x85\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]";
/// Longest token lifetime: 10 years, in seconds.
const MAX_TOKEN_LIFETIME_S: i64 = 10 * 365 * 86_400;

/// A scope, package, organization or user name: 1–64 characters, not a reserved name.
pub fn name_schema(description: &str) -> Value {
    described(
        json!({
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "pattern": NAME_PATTERN,
            "not": { "enum": trove_core::name::RESERVED },
        }),
        description,
    )
}

/// A semver 2.0 version such as `1.2.3-beta.1`.
pub fn version_schema(description: &str) -> Value {
    described(
        json!({ "type": "string", "minLength": 5, "pattern": SEMVER_PATTERN }),
        description,
    )
}

/// Text the server trims and refuses when blank, of at most `max` characters.
fn text(max: u64, description: &str) -> Value {
    described(
        json!({ "type": "string", "minLength": 1, "maxLength": max, "pattern": NON_BLANK_PATTERN }),
        description,
    )
}

fn all<T: Copy>(values: &[T], name: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    values.iter().map(|v| name(*v)).collect()
}

const ORG_ROLES: &[&str] = &["owner", "admin", "write", "read"];
const OWNER_ROLES: &[&str] = &["owner", "maintainer"];
const DELIVERY_STATUSES: &[&str] = &["pending", "delivered", "failed"];

fn user_members() -> Vec<(&'static str, Value)> {
    vec![
        ("username", string("Lowercase account name, also the user's namespace")),
        ("email", string("")),
        ("admin", boolean("Whether this is a site administrator")),
        ("created_at", time("")),
    ]
}

fn token_members() -> Vec<(&'static str, Value)> {
    vec![
        ("id", integer("")),
        ("name", string("")),
        ("scopes", described(array(schema_ref("TokenScope")), "")),
        (
            "packages",
            described(
                json!({ "type": ["array", "null"], "items": { "type": "string" } }),
                "`scope/name` patterns (`*` wildcards) the token is limited to; null for every package",
            ),
        ),
        ("expires_at", nullable_time("Null: never expires")),
        ("last_used_at", nullable_time("")),
        ("created_at", time("")),
    ]
}

fn summary_members() -> Vec<(&'static str, Value)> {
    vec![
        ("full_name", string("`scope/name`")),
        ("scope", string("")),
        ("name", string("")),
        ("ecosystem", schema_ref("Ecosystem")),
        ("kind", schema_ref("PackageKind")),
        ("description", nullable_string("")),
        ("latest_version", nullable_string("Highest non-yanked version")),
        ("license", nullable_string("SPDX expression")),
        ("keywords", strings("")),
        ("categories", strings("Category slugs (see /api/v1/categories)")),
        ("downloads", integer("All-time downloads")),
        ("updated_at", time("")),
    ]
}

fn stats_members() -> Vec<(&'static str, Value)> {
    vec![
        ("total", integer("All-time downloads")),
        ("last_7_days", integer("Today and the 6 days before")),
        ("last_30_days", integer("")),
        ("last_365_days", integer("")),
        (
            "daily",
            described(
                array(schema_ref("DailyCount")),
                "The last 90 days, oldest first, days without downloads included",
            ),
        ),
    ]
}

fn webhook_members() -> Vec<(&'static str, Value)> {
    vec![
        ("id", integer("")),
        ("namespace", string("The user or organization it belongs to")),
        ("url", string("Receiver URL")),
        ("events", described(array(schema_ref("WebhookEvent")), "")),
        ("created_at", time("")),
    ]
}

/// Every named schema under `components.schemas`.
pub fn component_schemas() -> Map<String, Value> {
    let mut s = Map::new();
    let mut add = |name: &str, schema: Value| {
        s.insert(name.to_string(), schema);
    };

    add(
        "Error",
        object(
            "Every error: the status says the class, `code` the exact reason",
            &[(
                "error",
                object(
                    "",
                    &[
                        ("code", string("Machine-readable, e.g. `not_found`")),
                        ("message", string("Human-readable")),
                    ],
                    &[],
                ),
            )],
            &[],
        ),
    );

    // Vocabularies.
    add(
        "TokenScope",
        enumeration(
            &all(TokenScope::ALL, TokenScope::as_str),
            "`admin` covers everything; every scope covers `read`",
        ),
    );
    add("Ecosystem", enumeration(&all(Ecosystem::ALL, Ecosystem::as_str), ""));
    add(
        "PackageKind",
        enumeration(&all(PackageKind::ALL, PackageKind::as_str), ""),
    );
    add(
        "Visibility",
        enumeration(
            &all(Visibility::ALL, Visibility::as_str),
            "Private packages are visible to their namespace's members only",
        ),
    );
    add("OrgRole", enumeration(ORG_ROLES, "An organization member's role"));
    add("OwnerRole", enumeration(OWNER_ROLES, "A package owner's role"));
    add(
        "WebhookEvent",
        enumeration(trove_service::webhooks::EVENTS, "`advisory` is reserved"),
    );

    // Accounts and sessions.
    add(
        "NewUser",
        closed(object(
            "",
            &[
                (
                    "username",
                    name_schema("1–64 of `[a-z0-9]` with inner `-`, `_`, `.`; not a reserved name"),
                ),
                (
                    "email",
                    described(
                        json!({ "type": "string", "maxLength": 254, "pattern": EMAIL_PATTERN }),
                        "An email address (`local@domain.tld`), at most 254 bytes",
                    ),
                ),
                (
                    "password",
                    described(
                        json!({ "type": "string", "minLength": 8, "maxLength": 1024 }),
                        "At least 8 characters, at most 1024 bytes",
                    ),
                ),
            ],
            &[],
        )),
    );
    add("User", object("A user account", &user_members(), &[]));
    add(
        "Login",
        closed(object("", &[("username", string("")), ("password", string(""))], &[])),
    );
    add(
        "Session",
        extend(
            object("", &user_members(), &[]),
            "The logged-in user; the session itself is in the `trove_session` cookie",
            &[
                (
                    "csrf_token",
                    string("Send it back in `X-CSRF-Token` on unsafe cookie-authenticated requests"),
                ),
                ("expires_at", time("")),
            ],
        ),
    );
    add(
        "SessionAuth",
        object(
            "Authenticated by a browser session",
            &[("type", enumeration(&["session"], "")), ("csrf_token", string(""))],
            &[],
        ),
    );
    add(
        "TokenAuth",
        object(
            "Authenticated by an API token",
            &[
                ("type", enumeration(&["token"], "")),
                ("token_id", integer("")),
                ("scopes", array(schema_ref("TokenScope"))),
                (
                    "packages",
                    described(
                        json!({ "type": ["array", "null"], "items": { "type": "string" } }),
                        "The token's package patterns; null for every package",
                    ),
                ),
            ],
            &[],
        ),
    );
    add(
        "Me",
        extend(
            object("", &user_members(), &[]),
            "The caller, how they authenticated, and their organizations",
            &[
                (
                    "auth",
                    json!({ "oneOf": [schema_ref("SessionAuth"), schema_ref("TokenAuth")] }),
                ),
                (
                    "organizations",
                    array(object(
                        "",
                        &[("name", string("")), ("role", schema_ref("OrgRole"))],
                        &[],
                    )),
                ),
            ],
        ),
    );

    // Tokens.
    add(
        "NewToken",
        closed(object(
            "",
            &[
                (
                    "name",
                    text(100, "A label, unique among your tokens: 1–100 characters (trimmed)"),
                ),
                (
                    "scopes",
                    described(
                        json!({ "type": "array", "items": schema_ref("TokenScope"), "minItems": 1 }),
                        "At least one",
                    ),
                ),
            ],
            &[
                (
                    "packages",
                    described(
                        json!({
                            "type": ["array", "null"],
                            "items": { "type": "string", "maxLength": trove_core::pattern::MAX_PATTERN_LEN, "pattern": PACKAGE_PATTERN_PATTERN },
                            "maxItems": trove_core::pattern::MAX_TOKEN_PATTERNS,
                        }),
                        "Limit to these `scope/name` patterns (`*` wildcards, at most 8 in a pattern); absent, null or empty for every package",
                    ),
                ),
                (
                    "expires_in",
                    described(
                        json!({ "type": ["integer", "null"], "format": "int64", "minimum": 1, "maximum": MAX_TOKEN_LIFETIME_S }),
                        "Lifetime in seconds from now (1 s to 10 years); absent or null for no expiry",
                    ),
                ),
            ],
        )),
    );
    add(
        "Token",
        object("An API token (never its secret)", &token_members(), &[]),
    );
    add(
        "TokenCreated",
        extend(
            object("", &token_members(), &[]),
            "A new token with its secret, shown only this once",
            &[("token", string("The secret, `trv_…`"))],
        ),
    );

    // Device login.
    add(
        "DeviceCodeRequest",
        object(
            "",
            &[],
            &[(
                "client_name",
                described(
                    json!({ "type": ["string", "null"], "pattern": CLIENT_NAME_PATTERN }),
                    "What is asking, shown to the approver (at most 100 characters, no control characters)",
                ),
            )],
        ),
    );
    add(
        "DeviceCode",
        object(
            "A pending device login (RFC 8628)",
            &[
                (
                    "device_code",
                    string("The CLI's secret for polling; shown only this once"),
                ),
                ("user_code", string("What the person approves, `XXXX-XXXX`")),
                ("verification_uri", string("")),
                ("verification_uri_complete", string("")),
                ("expires_in", integer("Seconds until both codes expire")),
                ("interval", integer("Seconds to wait between polls")),
            ],
            &[],
        ),
    );
    add(
        "UserCode",
        closed(object(
            "",
            &[("user_code", string("`XXXX-XXXX` (case, spaces and dashes ignored)"))],
            &[],
        )),
    );
    add(
        "DeviceDecision",
        object(
            "",
            &[
                ("user_code", string("")),
                ("client_name", nullable_string("")),
                ("approved", boolean("")),
                ("username", string("Who decided")),
            ],
            &[],
        ),
    );
    add("DeviceTokenRequest", object("", &[("device_code", string(""))], &[]));
    add(
        "DeviceGrant",
        object(
            "The API token of an approved device login, handed out once",
            &[
                ("access_token", string("The secret, `trv_…`")),
                ("token_type", enumeration(&["bearer"], "")),
                ("token_id", integer("")),
                ("username", string("")),
                ("scopes", array(schema_ref("TokenScope"))),
            ],
            &[],
        ),
    );

    // Organizations.
    add(
        "NewOrg",
        closed(object(
            "",
            &[(
                "name",
                name_schema("A free namespace name: 1–64 of `[a-z0-9]` with inner `-`, `_`, `.`"),
            )],
            &[(
                "description",
                described(
                    json!({ "type": ["string", "null"], "maxLength": 1000 }),
                    "At most 1000 bytes",
                ),
            )],
        )),
    );
    add(
        "Member",
        object(
            "",
            &[
                ("username", string("")),
                ("role", schema_ref("OrgRole")),
                ("since", time("")),
            ],
            &[],
        ),
    );
    add(
        "Org",
        object(
            "An organization and its members",
            &[
                ("name", string("")),
                ("description", nullable_string("")),
                ("created_at", time("")),
                ("members", array(schema_ref("Member"))),
            ],
            &[],
        ),
    );
    add(
        "MemberRole",
        closed(object("", &[("role", schema_ref("OrgRole"))], &[])),
    );

    // Packages and versions.
    add(
        "Package",
        object(
            "A package",
            &[
                ("scope", string("")),
                ("name", string("")),
                ("full_name", string("`scope/name`")),
                ("ecosystem", schema_ref("Ecosystem")),
                ("kind", schema_ref("PackageKind")),
                ("visibility", schema_ref("Visibility")),
                ("description", nullable_string("")),
                ("license", nullable_string("SPDX expression")),
                ("keywords", strings("")),
                ("categories", strings("Category slugs")),
                ("homepage", nullable_string("")),
                ("repository", nullable_string("")),
                ("readme", nullable_string("README text of the latest version")),
                ("latest_version", nullable_string("Highest non-yanked version")),
                ("downloads", integer("All-time downloads")),
                ("created_at", time("")),
                ("updated_at", time("")),
            ],
            &[],
        ),
    );
    add(
        "PackageUpdate",
        closed(object("", &[("visibility", schema_ref("Visibility"))], &[])),
    );
    add(
        "Manifest",
        object(
            "The version's `trove.toml`, as validated",
            &[
                (
                    "package",
                    object(
                        "",
                        &[
                            ("name", string("")),
                            ("version", string("")),
                            ("kind", schema_ref("PackageKind")),
                            ("description", nullable_string("")),
                            ("license", nullable_string("")),
                            ("keywords", strings("")),
                            ("categories", strings("")),
                            ("homepage", nullable_string("")),
                            ("repository", nullable_string("")),
                            ("readme", nullable_string("Path of the README in the archive")),
                        ],
                        &[],
                    ),
                ),
                (
                    "dependencies",
                    map_of(json!({ "type": "string" }), "Package name → semver requirement"),
                ),
                ("metadata", free_object("The free `[metadata]` table")),
            ],
            &[],
        ),
    );
    add(
        "Version",
        object(
            "A published version",
            &[
                ("package", string("`scope/name`")),
                ("version", string("Semver 2.0")),
                ("digest", string("`sha256:<hex>` of the archive")),
                ("size", integer("Archive bytes")),
                (
                    "dependencies",
                    map_of(json!({ "type": "string" }), "Package name → semver requirement"),
                ),
                ("yanked", boolean("")),
                ("yanked_at", nullable_time("")),
                ("deprecated", nullable_string("The deprecation message, if deprecated")),
                ("publisher", nullable_string("Username of the publisher")),
                ("downloads", integer("")),
                ("created_at", time("")),
                ("download_url", string("Path of the archive")),
                ("manifest", schema_ref("Manifest")),
            ],
            &[],
        ),
    );
    add(
        "Deprecation",
        closed(object(
            "",
            &[(
                "message",
                text(1000, "Shown to users of the version: 1–1000 characters (trimmed)"),
            )],
            &[],
        )),
    );
    add(
        "Owner",
        object(
            "",
            &[
                ("username", string("")),
                ("role", schema_ref("OwnerRole")),
                ("since", time("")),
            ],
            &[],
        ),
    );
    add(
        "OwnerRoleRequest",
        closed(object(
            "",
            &[],
            &[("role", described(schema_ref("OwnerRole"), "Default `owner`"))],
        )),
    );

    // Audit.
    add(
        "AuditEvent",
        object(
            "",
            &[
                ("id", integer("Increasing; pass as `before` to page back")),
                ("at", time("")),
                (
                    "actor",
                    nullable_string("Username; null for anonymous or system actions"),
                ),
                ("action", string("e.g. `version.publish`")),
                ("target", string("")),
                ("ip", nullable_string("")),
                ("details", free_object("Action-specific")),
            ],
            &[],
        ),
    );
    add(
        "AuditLog",
        object("Newest first", &[("events", array(schema_ref("AuditEvent")))], &[]),
    );

    // Discovery.
    add(
        "PackageSummary",
        object("A package in search results and lists", &summary_members(), &[]),
    );
    let counts = || map_of(json!({ "type": "integer" }), "Value → matching packages");
    add(
        "Facets",
        object(
            "Counts of the matching packages per value",
            &[
                ("ecosystem", counts()),
                ("kind", counts()),
                ("category", counts()),
                ("license", counts()),
                ("keyword", counts()),
            ],
            &[],
        ),
    );
    add(
        "SearchResults",
        object(
            "",
            &[
                ("total", integer("Matching packages")),
                ("page", integer("1-based")),
                ("per_page", integer("")),
                ("results", array(schema_ref("PackageSummary"))),
                ("facets", schema_ref("Facets")),
            ],
            &[],
        ),
    );
    add(
        "Category",
        object(
            "",
            &[
                ("slug", string("")),
                ("name", string("")),
                ("description", string("")),
                ("packages", integer("Public packages in it")),
            ],
            &[],
        ),
    );
    add(
        "Categories",
        object("", &[("categories", array(schema_ref("Category")))], &[]),
    );
    add(
        "Stats",
        object(
            "Registry totals over public packages (and all accounts)",
            &[
                ("packages", integer("")),
                ("versions", integer("")),
                ("downloads", integer("")),
                ("users", integer("")),
            ],
            &[],
        ),
    );
    add(
        "TrendingPackage",
        extend(
            object("", &summary_members(), &[]),
            "A package whose downloads grew over the last 7 days",
            &[
                ("downloads_last_7_days", integer("")),
                ("downloads_previous_7_days", integer("")),
            ],
        ),
    );
    add(
        "Explore",
        object(
            "Public packages only",
            &[
                ("totals", schema_ref("Stats")),
                ("trending", array(schema_ref("TrendingPackage"))),
                ("most_downloaded", array(schema_ref("PackageSummary"))),
                ("recently_updated", array(schema_ref("PackageSummary"))),
            ],
            &[],
        ),
    );
    add(
        "DailyCount",
        object(
            "",
            &[
                (
                    "date",
                    described(json!({ "type": "string", "format": "date" }), "UTC day"),
                ),
                ("downloads", integer("")),
            ],
            &[],
        ),
    );
    add(
        "VersionDownloads",
        object("", &[("version", string("")), ("total", integer(""))], &[]),
    );
    add("VersionStats", object("A version's downloads", &stats_members(), &[]));
    add(
        "PackageStats",
        extend(
            object("", &stats_members(), &[]),
            "A package's downloads",
            &[(
                "versions",
                described(array(schema_ref("VersionDownloads")), "Per version, newest first"),
            )],
        ),
    );

    // Webhooks.
    add(
        "NewWebhook",
        closed(object(
            "",
            &[
                (
                    "url",
                    described(
                        json!({ "type": "string", "format": "uri", "maxLength": 2000, "pattern": WEBHOOK_URL_PATTERN }),
                        "http(s) receiver URL with a host, at most 2000 characters; internal addresses are refused unless allowed",
                    ),
                ),
                (
                    "events",
                    described(
                        json!({ "type": "array", "items": schema_ref("WebhookEvent"), "minItems": 1 }),
                        "At least one",
                    ),
                ),
            ],
            &[],
        )),
    );
    add("Webhook", object("", &webhook_members(), &[]));
    add(
        "WebhookCreated",
        extend(
            object("", &webhook_members(), &[]),
            "A new webhook with its signing secret, shown only this once",
            &[("secret", string("HMAC-SHA256 key of the `X-Trove-Signature` header"))],
        ),
    );
    add(
        "DeliveryAttempt",
        object(
            "",
            &[
                ("attempt", integer("1-based")),
                ("at", time("")),
                (
                    "status_code",
                    described(json!({ "type": ["integer", "null"] }), "Null when no answer came"),
                ),
                ("error", nullable_string("Why it failed, if it did")),
                ("duration_ms", integer("")),
            ],
            &[],
        ),
    );
    add(
        "DeliveryPayload",
        object(
            "The JSON body sent to the receiver",
            &[
                ("event", string("A webhook event, or `ping`")),
                ("namespace", string("")),
                ("package", nullable_string("")),
                ("version", nullable_string("")),
                ("actor", nullable_string("")),
                ("at", time("")),
                ("data", free_object("Event-specific")),
            ],
            &[],
        ),
    );
    add(
        "Delivery",
        object(
            "A queued, delivered or failed webhook delivery",
            &[
                ("id", integer("")),
                ("event", string("A webhook event, or `ping`")),
                ("status", enumeration(DELIVERY_STATUSES, "")),
                ("created_at", time("")),
                ("delivered_at", nullable_time("")),
                (
                    "next_attempt_at",
                    nullable_time("When a pending delivery is tried next"),
                ),
                ("payload", schema_ref("DeliveryPayload")),
                ("attempts", array(schema_ref("DeliveryAttempt"))),
            ],
            &[],
        ),
    );
    add("DeliveryQueued", object("", &[("delivery_id", integer(""))], &[]));
    s
}

/// The JSON bodies of an operation (by its id, e.g. `get_package`). Operations without a
/// JSON request or response body get `None` there.
pub fn operation_schemas(operation_id: &str) -> OperationSchemas {
    let r = |name: &str| Some(schema_ref(name));
    let list = |name: &str| Some(array(schema_ref(name)));
    let (request, example, response) = match operation_id {
        "register_user" => (
            r("NewUser"),
            Some(json!({ "username": "alice", "email": "alice@example.com", "password": "correct horse" })),
            r("User"),
        ),
        "get_me" => (None, None, r("Me")),
        "create_session" => (
            r("Login"),
            Some(json!({ "username": "alice", "password": "correct horse" })),
            r("Session"),
        ),
        "list_tokens" => (None, None, list("Token")),
        "create_token" => (
            r("NewToken"),
            Some(
                json!({ "name": "ci", "scopes": ["publish", "yank"], "packages": ["alice/*"], "expires_in": 2592000 }),
            ),
            r("TokenCreated"),
        ),
        "create_device_code" => (
            r("DeviceCodeRequest"),
            Some(json!({ "client_name": "trove CLI on build-host" })),
            r("DeviceCode"),
        ),
        "approve_device" | "deny_device" => (
            r("UserCode"),
            Some(json!({ "user_code": "BCDF-GHJK" })),
            r("DeviceDecision"),
        ),
        "poll_device_token" => (r("DeviceTokenRequest"), None, r("DeviceGrant")),
        "create_org" => (
            r("NewOrg"),
            Some(json!({ "name": "acme", "description": "Acme Corp" })),
            r("Org"),
        ),
        "get_org" => (None, None, r("Org")),
        "set_member" => (r("MemberRole"), Some(json!({ "role": "write" })), list("Member")),
        "list_namespace_packages" => (None, None, list("Package")),
        "get_package" => (None, None, r("Package")),
        "update_package" => (
            r("PackageUpdate"),
            Some(json!({ "visibility": "private" })),
            r("Package"),
        ),
        "list_versions" => (None, None, list("Version")),
        "publish_version" | "get_version" | "yank_version" | "unyank_version" | "undeprecate_version" => {
            (None, None, r("Version"))
        }
        "deprecate_version" => (r("Deprecation"), Some(json!({ "message": "use 2.x" })), r("Version")),
        "list_owners" => (None, None, list("Owner")),
        "add_owner" => (
            r("OwnerRoleRequest"),
            Some(json!({ "role": "maintainer" })),
            list("Owner"),
        ),
        "list_audit" => (None, None, r("AuditLog")),
        "search_packages" => (None, None, r("SearchResults")),
        "list_categories" => (None, None, r("Categories")),
        "get_explore" => (None, None, r("Explore")),
        "get_global_stats" => (None, None, r("Stats")),
        "get_package_stats" => (None, None, r("PackageStats")),
        "get_version_stats" => (None, None, r("VersionStats")),
        "list_webhooks" => (None, None, list("Webhook")),
        "create_webhook" => (
            r("NewWebhook"),
            Some(json!({ "url": "https://ci.example.com/trove", "events": ["publish", "yank"] })),
            r("WebhookCreated"),
        ),
        "list_webhook_deliveries" => (None, None, list("Delivery")),
        "test_webhook" => (None, None, r("DeliveryQueued")),
        _ => (None, None, None),
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
        }
        fn refs(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|x| refs(x, out));
                }
                Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        refs(&Value::Object(components.clone()), &mut found);
        for r in found {
            let name = r.strip_prefix("#/components/schemas/").expect("local ref");
            assert!(components.contains_key(name), "{r} is not defined");
        }
    }
}
