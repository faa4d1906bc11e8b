//! Domain types and validation shared by every Trove crate. No IO lives here.

pub mod categories;
pub mod digest;
pub mod kind;
pub mod manifest;
pub mod name;
pub mod pattern;
pub mod range;
pub mod scope;
pub mod time;
pub mod url;
pub mod version;

pub use digest::Digest;
pub use kind::{
    DeliveryStatus, Ecosystem, FileKind, NamespaceKind, OrgRole, OwnerRole, PackageKind, ScanStatus, Visibility,
};
pub use name::{NameError, PackageName, ScopeName};
pub use scope::TokenScope;

/// Milliseconds since the Unix epoch; every timestamp in Trove is stored this way.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
