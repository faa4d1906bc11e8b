//! Test helpers shared by every crate's tests: a throwaway database on either backend
//! (a temporary SQLite file, or a freshly created PostgreSQL database dropped afterwards)
//! and the S3 settings of the server the test script started.

use sqlx::Connection;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on.
pub fn pg_admin_url() -> String {
    std::env::var("TROVE_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite://{}", dir.path().join("trove.db").display());
                TestDb {
                    url,
                    backend,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let name = format!("trove_test_{}", uuid::Uuid::new_v4().simple());
                let admin = pg_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL at {admin} is needed for tests (set TROVE_TEST_PG_URL): {e}")
                });
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                let _ = conn.close().await;
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin);
                TestDb {
                    url: format!("{base}/{name}"),
                    backend,
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }

    /// Opens the data layer on this database (runs migrations).
    pub async fn connect(&self) -> trove_db::Db {
        trove_db::Db::connect(&self.url, 8)
            .await
            .expect("connect test database")
    }

    /// Drops the PostgreSQL database now, even with connections open (to test outages).
    pub async fn drop_now(&self) {
        if let Some(name) = &self.pg_name {
            drop_pg(name).await;
        }
    }
}

async fn drop_pg(name: &str) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Drop may run inside a runtime; use a thread with its own.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    rt.block_on(drop_pg(&name));
                }
            })
            .join();
        }
    }
}

/// S3 settings from the environment the test script sets up; `None` when not configured.
pub fn s3_env() -> Option<(String, String, String, String)> {
    let endpoint = std::env::var("TROVE_TEST_S3_ENDPOINT").ok()?;
    let bucket = std::env::var("TROVE_TEST_S3_BUCKET").unwrap_or_else(|_| "trove-test".into());
    let key = std::env::var("TROVE_TEST_S3_ACCESS_KEY").unwrap_or_else(|_| "trove".into());
    let secret = std::env::var("TROVE_TEST_S3_SECRET_KEY").unwrap_or_else(|_| "trove-secret-key".into());
    Some((endpoint, bucket, key, secret))
}

/// A storage configuration on the test S3 server with a unique key prefix. Panics when the
/// server is not configured, so S3 tests can never pass by being skipped; run the tests via
/// `scripts/test.sh`, which starts the server.
pub fn s3_storage() -> trove_storage::StorageConfig {
    let (endpoint, bucket, key, secret) = s3_env()
        .expect("TROVE_TEST_S3_ENDPOINT is not set: run the tests with scripts/test.sh, which starts a real S3 server");
    trove_storage::StorageConfig::S3 {
        bucket,
        endpoint: Some(endpoint),
        region: "us-east-1".into(),
        access_key_id: Some(key),
        secret_access_key: Some(secret),
        prefix: Some(format!("t-{}", uuid::Uuid::new_v4().simple())),
        path_style: true,
    }
}

/// Which blob storage backend a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreBackend {
    /// A local directory (a fresh temporary one).
    Fs,
    /// The test S3 server, under a unique key prefix.
    S3,
}

/// A blob store that exists for one test, with its own staging directory.
pub struct TestStore {
    pub store: trove_storage::BlobStore,
    pub config: trove_storage::StorageConfig,
    pub backend: StoreBackend,
    /// Holds the staging directory and, for `Fs`, the blobs (under `blobs-root/`).
    pub dir: tempfile::TempDir,
}

impl TestStore {
    pub fn new(backend: StoreBackend) -> TestStore {
        Self::with_options(backend, &trove_storage::StoreOptions::default())
    }

    /// A store opened with explicit client settings (timeouts, retries).
    pub fn with_options(backend: StoreBackend, options: &trove_storage::StoreOptions) -> TestStore {
        let dir = tempdir();
        let config = match backend {
            StoreBackend::Fs => trove_storage::StorageConfig::Fs {
                path: dir.path().join("blobs-root"),
            },
            StoreBackend::S3 => s3_storage(),
        };
        let store = trove_storage::BlobStore::open_with(&config, &dir.path().join("staging"), options)
            .expect("open blob store");
        TestStore {
            store,
            config,
            backend,
            dir,
        }
    }

    /// The staging directory uploads in progress are written to.
    pub fn staging_dir(&self) -> PathBuf {
        self.dir.path().join("staging")
    }
}

/// A fresh temporary directory (kept until dropped).
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Path inside a temp dir.
pub fn path_in(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// Generates a SQLite and a PostgreSQL variant of an async test `fn name(backend: Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::Backend::Postgres).await
            }
        }
    )+};
}

/// Generates a filesystem and an S3 variant of an async test `fn name(backend: StoreBackend)`.
#[macro_export]
macro_rules! both_stores {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn fs() {
                super::$name($crate::StoreBackend::Fs).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn s3() {
                super::$name($crate::StoreBackend::S3).await
            }
        }
    )+};
}
