//! Schemas of request members whose rules come from shared constants ([`crate::limits`],
//! [`crate::patterns`], `trove_core`): utoipa's attributes take literals only, so these
//! members name one of these functions with `#[schema(schema_with = …)]`, which also gives
//! their description.

use crate::limits::*;
use crate::patterns::*;
use crate::vocab;
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::ToSchema;

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn nullable(t: Type) -> utoipa::openapi::schema::SchemaType {
    utoipa::openapi::schema::SchemaType::Array(vec![t, Type::Null])
}

fn reference<T: ToSchema>() -> Ref {
    Ref::from_schema_name(T::name())
}

/// A scope, package, organization or user name (`trove_core::name`): 1–64 characters of
/// [`NAME_PATTERN`], not a reserved name.
pub fn name_schema(description: &str) -> Schema {
    // utoipa's schema model has no `not`; it goes in as an extension member.
    let not = serde_json::json!({ "enum": trove_core::name::RESERVED });
    string(description)
        .min_length(Some(1))
        .max_length(Some(NAME_MAX_LEN))
        .pattern(Some(NAME_PATTERN))
        .extensions(Some([("not", not)].into_iter().collect()))
        .into()
}

/// A semver 2.0 version such as `1.2.3-beta.1`.
pub fn version_schema(description: &str) -> Schema {
    string(description)
        .min_length(Some(5))
        .pattern(Some(SEMVER_PATTERN))
        .into()
}

/// Text the server trims and refuses when blank, of at most `max` bytes.
fn text(max: usize, description: &str) -> Schema {
    string(description)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(NON_BLANK_PATTERN))
        .into()
}

pub fn username() -> Schema {
    name_schema("1–64 of `[a-z0-9]` with inner `-`, `_`, `.`; not a reserved name")
}

pub fn org_name() -> Schema {
    name_schema("A free namespace name: 1–64 of `[a-z0-9]` with inner `-`, `_`, `.`")
}

pub fn email() -> Schema {
    string(&format!(
        "An email address (`local@domain.tld`), at most {EMAIL_MAX_LEN} bytes"
    ))
    .max_length(Some(EMAIL_MAX_LEN))
    .pattern(Some(EMAIL_PATTERN))
    .into()
}

pub fn password() -> Schema {
    string(&format!(
        "At least {PASSWORD_MIN_CHARS} characters, at most {PASSWORD_MAX_LEN} bytes"
    ))
    .min_length(Some(PASSWORD_MIN_CHARS))
    .max_length(Some(PASSWORD_MAX_LEN))
    .into()
}

pub fn org_description() -> Schema {
    ObjectBuilder::new()
        .schema_type(nullable(Type::String))
        .max_length(Some(ORG_DESCRIPTION_MAX_LEN))
        .description(Some(format!("At most {ORG_DESCRIPTION_MAX_LEN} bytes")))
        .into()
}

pub fn token_name() -> Schema {
    text(
        TOKEN_NAME_MAX_LEN,
        &format!("A label, unique among your tokens: 1–{TOKEN_NAME_MAX_LEN} characters (trimmed)"),
    )
}

/// A non-empty array of `T`.
fn at_least_one<T: ToSchema>() -> Schema {
    ArrayBuilder::new()
        .items(reference::<T>())
        .min_items(Some(1))
        .description(Some("At least one"))
        .into()
}

pub fn token_scopes() -> Schema {
    at_least_one::<vocab::TokenScope>()
}

pub fn token_packages() -> Schema {
    let item = string("")
        .description(None::<String>)
        .max_length(Some(trove_core::pattern::MAX_PATTERN_LEN))
        .pattern(Some(PACKAGE_PATTERN_PATTERN));
    ArrayBuilder::new()
        .schema_type(nullable(Type::Array))
        .items(item)
        .max_items(Some(trove_core::pattern::MAX_TOKEN_PATTERNS))
        .description(Some(format!(
            "Limit to these `scope/name` patterns (`*` wildcards, at most {} in a pattern); absent, null or empty for every package",
            trove_core::pattern::MAX_PATTERN_STARS
        )))
        .into()
}

pub fn token_expires_in() -> Schema {
    ObjectBuilder::new()
        .schema_type(nullable(Type::Integer))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .maximum(Some(MAX_TOKEN_LIFETIME_S))
        .description(Some(
            "Lifetime in seconds from now (1 s to 10 years); absent or null for no expiry",
        ))
        .into()
}

pub fn client_name() -> Schema {
    ObjectBuilder::new()
        .schema_type(nullable(Type::String))
        .pattern(Some(client_name_pattern()))
        .description(Some(format!(
            "What is asking, shown to the approver (at most {CLIENT_NAME_MAX_CHARS} characters, no control characters)"
        )))
        .into()
}

pub fn deprecation_message() -> Schema {
    text(
        DEPRECATION_MAX_LEN,
        &format!("Shown to users of the version: 1–{DEPRECATION_MAX_LEN} characters (trimmed)"),
    )
}

pub fn webhook_url() -> Schema {
    string(&format!(
        "http(s) receiver URL with a host, at most {WEBHOOK_URL_MAX_LEN} characters; internal addresses are refused unless allowed"
    ))
    .format(Some(SchemaFormat::Custom("uri".into())))
    .max_length(Some(WEBHOOK_URL_MAX_LEN))
    .pattern(Some(WEBHOOK_URL_PATTERN))
    .into()
}

pub fn webhook_events() -> Schema {
    at_least_one::<vocab::WebhookEvent>()
}

/// `OwnerRoleRequest.role`: an [`vocab::OwnerRole`], `owner` when left out.
pub fn owner_role_default() -> RefOr<Schema> {
    let mut role = reference::<vocab::OwnerRole>();
    role.description = "Default `owner`".into();
    RefOr::Ref(role)
}

/// A CVSS base score, 0.0–10.0, or null.
pub fn cvss_score() -> Schema {
    ObjectBuilder::new()
        .schema_type(nullable(Type::Number))
        .minimum(Some(0.0))
        .maximum(Some(10.0))
        .description(Some("The highest CVSS base score of its vectors (null without one)"))
        .into()
}
