//! The one blob lifecycle every front-end uses (native archives, OCI layers, and the
//! npm/Cargo/PyPI files to come):
//!
//! 1. **stage** ([`Services::stage_body`]): a request body is streamed into a local staging
//!    file while hashed, refused past its size limit (413 before anything is stored);
//! 2. **hold** ([`Services::hold_blob`]): the digest is held against garbage collection on
//!    every node;
//! 3. **store** ([`Services::store_staged`], [`Services::store_bytes`]): the bytes go into the
//!    content-addressed store (once per digest, whoever shares them);
//! 4. **commit**: the front-end's transaction records what references the digest (a version,
//!    an OCI blob link or manifest, an upload part);
//! 5. **release** ([`Services::release_blob`]): the hold ends; an unreleased hold expires;
//! 6. **reclaim / GC** ([`Services::gc_blobs`], [`Services::reclaim_blob`]): bytes nothing
//!    references are deleted after a grace period, and leftovers of interrupted uploads are
//!    swept ([`Services::sweep_upload_leftovers`]).
//!
//! Nothing becomes visible before step 4, so a crash at any point loses no acknowledged
//! upload and leaves at most collectable bytes behind.

mod gc;
mod hold;
pub mod stage;

pub use gc::GcReport;
pub use stage::BodyLimit;

sub_service!(
    /// The blob lifecycle: stage, hold, store, release, reclaim, garbage collection.
    Blobs,
    blobs
);
