//! OCI distribution (v1.1) use cases: the rules of uploads, manifests, tags, referrers,
//! deduplication and garbage collection, implemented once over the byte-level blob store.
//!
//! A repository `scope/rest/of/name` is the package `rest/of/name` (ecosystem `oci`) in the
//! Trove namespace `scope`; access follows the package roles (pull = read, push = publish,
//! delete = yank). Errors carry codes from [`codes`], which the `/v2` front-end maps onto
//! the distribution spec's error codes.

mod access;
mod appends;
pub(crate) mod assembly;
pub(crate) mod blob_cache;
mod blobs;
mod catalog;
mod gc;
mod image;
mod jwt;
pub(crate) mod manifest_cache;
mod manifests;
mod multipart;
mod names;
mod token;
mod uploads;
mod views;

pub use blobs::BlobInfo;
pub use image::{ImageDetails, ImageInfo, Layer, PlatformImage, Referrer};
pub use manifests::{Descriptor, ManifestContent, PushedManifest, TagPage};
pub use names::{parse_digest, Reference, RepoName};
pub use token::{Access, IssuedToken, RegistryClaims};
pub use uploads::UploadState;

sub_service!(
    /// The OCI registry: repositories, blobs, uploads, manifests, tags, referrers, registry tokens.
    Oci,
    oci
);

/// The ecosystem of packages that are OCI repositories.
pub const ECOSYSTEM: &str = "oci";

/// Largest manifest accepted (the spec asks registries to take at least 4 MiB).
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// Service error codes of OCI use cases; the front-end maps each onto a spec code.
pub mod codes {
    pub const BLOB_UNKNOWN: &str = "blob_unknown";
    pub const BLOB_UPLOAD_INVALID: &str = "blob_upload_invalid";
    pub const BLOB_UPLOAD_UNKNOWN: &str = "blob_upload_unknown";
    pub const DIGEST_INVALID: &str = "digest_invalid";
    pub const MANIFEST_BLOB_UNKNOWN: &str = "manifest_blob_unknown";
    pub const MANIFEST_INVALID: &str = "manifest_invalid";
    pub const MANIFEST_UNKNOWN: &str = "manifest_unknown";
    pub const NAME_INVALID: &str = "name_invalid";
    pub const NAME_UNKNOWN: &str = "name_unknown";
    pub const SIZE_INVALID: &str = "size_invalid";
    pub const TAG_INVALID: &str = "tag_invalid";
    pub const UNSUPPORTED: &str = "unsupported";
    /// An out-of-order chunk (416).
    pub const RANGE_INVALID: &str = "range_invalid";
}

/// What a caller wants to do with a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OciAction {
    Pull,
    Push,
    Delete,
}

impl OciAction {
    pub fn as_str(self) -> &'static str {
        match self {
            OciAction::Pull => "pull",
            OciAction::Push => "push",
            OciAction::Delete => "delete",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pull" => Some(OciAction::Pull),
            "push" => Some(OciAction::Push),
            "delete" => Some(OciAction::Delete),
            _ => None,
        }
    }
}
