//! The API's vocabularies as named schemas (`components.schemas.<Name>`), from the shared
//! lists: `trove_core`'s enums and the role, event and status lists below. The Rust fields
//! keep their own types (a `trove_core` enum or a `String` the service checks); these marker
//! types only give them their schema, with `#[schema(value_type = vocab::…)]`.

use std::borrow::Cow;
use trove_core::{Ecosystem as Eco, PackageKind as Kind, TokenScope as Scope, Visibility as Vis};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

/// An organization member's roles.
pub const ORG_ROLES: &[&str] = &["owner", "admin", "write", "read"];
/// A package owner's roles.
pub const OWNER_ROLES: &[&str] = &["owner", "maintainer"];
/// Events a webhook may subscribe to (`advisory`: an advisory of the namespace's packages was
/// created, accepted from a report, edited or withdrawn).
pub const WEBHOOK_EVENTS: &[&str] = &["publish", "yank", "delete", "advisory", "membership"];
/// A webhook delivery's states.
pub const DELIVERY_STATUSES: &[&str] = &["pending", "delivered", "failed"];
/// A publish-time scan's states.
pub const SCAN_STATUSES: &[&str] = &["pending", "passed", "failed", "error"];

/// A string schema of these values.
pub(crate) fn enumeration(values: impl IntoIterator<Item = &'static str>, description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description((!description.is_empty()).then(|| description.to_string()))
        .into()
}

macro_rules! vocabulary {
    ($(#[doc = $doc:literal])* $name:ident, $description:literal, $values:expr) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                enumeration($values, $description).into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

vocabulary!(
    /// `trove_core::TokenScope`.
    TokenScope,
    "`admin` covers everything; every scope covers `read`",
    Scope::ALL.iter().map(|s| s.as_str())
);
vocabulary!(
    /// `trove_core::Ecosystem`.
    Ecosystem,
    "",
    Eco::ALL.iter().map(|e| e.as_str())
);
vocabulary!(
    /// `trove_core::PackageKind`.
    PackageKind,
    "",
    Kind::ALL.iter().map(|k| k.as_str())
);
vocabulary!(
    /// `trove_core::Visibility`.
    Visibility,
    "Private packages are visible to their namespace's members only",
    Vis::ALL.iter().map(|v| v.as_str())
);
vocabulary!(
    /// [`ORG_ROLES`].
    OrgRole,
    "An organization member's role",
    ORG_ROLES.iter().copied()
);
vocabulary!(
    /// [`OWNER_ROLES`].
    OwnerRole,
    "A package owner's role",
    OWNER_ROLES.iter().copied()
);
vocabulary!(
    /// [`WEBHOOK_EVENTS`].
    WebhookEvent,
    "`advisory`: an advisory was created, accepted, edited or withdrawn",
    WEBHOOK_EVENTS.iter().copied()
);
vocabulary!(
    /// [`DELIVERY_STATUSES`].
    DeliveryStatus,
    "",
    DELIVERY_STATUSES.iter().copied()
);
vocabulary!(
    /// [`SCAN_STATUSES`].
    ScanStatus,
    "",
    SCAN_STATUSES.iter().copied()
);
