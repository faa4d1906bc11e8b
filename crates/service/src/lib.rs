//! Trove's use cases. The only crate that touches both the database and blob storage;
//! protocol front-ends call these functions and map `ServiceError` to their wire format.

/// Declares a named sub-service: a view of [`Services`] whose use cases live in one module,
/// so that a call site names its home (`svc.packages().publish(…)`, `svc.oci().put_manifest(…)`).
/// It derefs to [`Services`] for the shared parts (database, store, configuration, access rules).
macro_rules! sub_service {
    ($(#[$doc:meta])* $name:ident, $accessor:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name<'a>(&'a $crate::Services);

        impl std::ops::Deref for $name<'_> {
            type Target = $crate::Services;
            fn deref(&self) -> &$crate::Services {
                self.0
            }
        }

        impl $crate::Services {
            $(#[$doc])*
            pub fn $accessor(&self) -> $name<'_> {
                $name(self)
            }
        }
    };
}

pub mod access;
pub mod accounts;
pub mod advisories;
pub mod archive_cache;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod browse;
pub mod cargo;
pub mod device;
pub mod downloads;
pub mod error;
pub mod npm;
pub mod oci;
pub mod orgs;
pub mod package_cache;
pub mod packages;
pub mod pypi;
pub mod quotas;
pub mod requirements;
pub mod retention;
pub mod scans;
pub mod search;
pub mod settings;
pub mod stats;
pub mod tokens;
pub mod views;
pub mod web_queries;
pub mod webhooks;

pub use auth::{Account, AuthVia, Ctx, Principal};
pub use error::{ErrorKind, Result, ServiceError};

use std::sync::Arc;
use trove_db::Db;
use trove_storage::BlobStore;

/// Settings the use cases need; filled from the server's configuration.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub registration_open: bool,
    pub session_ttl_ms: i64,
    /// How long after publishing its publisher may still delete a version.
    pub delete_grace_ms: i64,
    pub max_archive_bytes: u64,
    pub archive_limits: trove_tarball::Limits,
    /// Argon2 memory cost in KiB (lower only in tests).
    pub argon2_m_cost: u32,
    /// Base URL used to build absolute links (e.g. download URLs).
    pub base_url: String,
    /// First webhook retry delay; later ones grow (×3, ×12, ×60, ×360).
    pub webhook_retry_base_ms: u64,
    /// Timeout of one webhook request.
    pub webhook_timeout_ms: u64,
    /// Whether webhooks may target loopback, private and link-local addresses.
    pub webhook_allow_private: bool,
    /// Age after which leftovers of interrupted uploads are removed.
    pub stale_upload_ms: i64,
    /// The publish-time scanner (`[scan]`), when one is configured.
    pub scan: Option<scans::ScanSettings>,
    /// The namespace whose npm packages go by unscoped names (`[npm] unscoped_namespace`):
    /// their advisories name them so in OSV.
    pub npm_unscoped_namespace: Option<String>,
    /// Unreferenced blobs younger than this are kept by garbage collection (also the one
    /// that follows a retention run).
    pub gc_min_age_ms: i64,
    /// `[oci] delete_enabled`: when false, nothing deletes OCI content (retention included).
    pub oci_delete_enabled: bool,
    /// Where this node keeps its search index (`{data_dir}/search`); `None` keeps it in
    /// memory and rebuilds it at every start.
    pub search_dir: Option<std::path::PathBuf>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            registration_open: true,
            session_ttl_ms: 30 * 24 * 3600 * 1000,
            delete_grace_ms: 72 * 3600 * 1000,
            max_archive_bytes: 50 * 1024 * 1024,
            archive_limits: trove_tarball::Limits::default(),
            argon2_m_cost: 19 * 1024,
            base_url: "http://127.0.0.1:8080".into(),
            webhook_retry_base_ms: 10_000,
            webhook_timeout_ms: 10_000,
            webhook_allow_private: false,
            stale_upload_ms: 3_600_000,
            scan: None,
            npm_unscoped_namespace: None,
            gc_min_age_ms: 3_600_000,
            oci_delete_enabled: true,
            search_dir: None,
        }
    }
}

/// Everything a request needs. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub store: BlobStore,
    pub config: Arc<ServiceConfig>,
    pub downloads: Arc<downloads::DownloadCounter>,
    /// This node's package search index.
    pub search_index: Arc<search::SearchIndex>,
    pub(crate) token_touches: Arc<auth::TouchCache>,
    pub(crate) package_cache: Arc<package_cache::PackageCache>,
    /// This node's archive listings for the file browser (`archive_cache`).
    pub archive_cache: Arc<archive_cache::ArchiveCache>,
    /// This node's resolved OCI manifests (`oci::manifest_cache`).
    pub(crate) manifest_cache: Arc<oci::manifest_cache::ManifestCache>,
    /// This node's blob lookups of OCI repositories (`oci::blob_cache`).
    pub(crate) blob_cache: Arc<oci::blob_cache::BlobCache>,
    /// The running state of chunked OCI uploads whose last chunk came here (`oci::assembly`).
    pub(crate) upload_assemblies: Arc<oci::assembly::Assemblies>,
    /// Wakes this node's webhook worker when deliveries are queued.
    pub(crate) webhook_wake: Arc<tokio::sync::Notify>,
    /// Wakes this node's scan worker when scans are queued.
    pub(crate) scan_wake: Arc<tokio::sync::Notify>,
}

impl Services {
    pub fn new(db: Db, store: BlobStore, config: ServiceConfig) -> Self {
        Services {
            downloads: Arc::new(downloads::DownloadCounter::new(db.clone())),
            search_index: Arc::new(search::SearchIndex::new(db.clone(), config.search_dir.clone())),
            db,
            store,
            config: Arc::new(config),
            token_touches: Arc::default(),
            package_cache: Arc::default(),
            archive_cache: Arc::default(),
            manifest_cache: Arc::default(),
            blob_cache: Arc::default(),
            upload_assemblies: Arc::default(),
            webhook_wake: Arc::default(),
            scan_wake: Arc::default(),
        }
    }
}
