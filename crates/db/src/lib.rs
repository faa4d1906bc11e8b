//! Trove's data layer: one connection pool over SQLite or PostgreSQL (chosen by the URL
//! scheme), each backend with its own migrations, and repositories per aggregate. Queries
//! are written once in the SQL both backends accept (`$n` placeholders, `ON CONFLICT`,
//! `RETURNING`, integer timestamps in milliseconds).

pub mod advisories;
pub mod audit;
pub mod backup;
pub mod blobs;
pub mod cargo_registries;
pub mod decode;
pub mod dependents;
pub mod device_codes;
pub mod dist_tags;
pub mod downloads;
pub mod namespaces;
pub mod oci_blobs;
pub mod oci_gc;
pub mod oci_manifests;
pub mod oci_settings;
pub mod oci_tags;
pub mod oci_uploads;
pub mod owners;
pub mod packages;
pub mod quotas;
pub mod retention;
pub mod scans;
pub mod search;
pub mod sessions;
pub mod stats;
pub mod tokens;
pub mod users;
pub mod version_files;
pub mod versions;
pub mod webhooks;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Connection, Executor, Transaction};
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use sqlx::AnyConnection as Conn;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database url `{0}`: use sqlite://path or postgres://…")]
    UnsupportedUrl(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl DbError {
    /// A unique constraint refused the write (e.g. the same version published twice).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }

    /// The database could not be reached (connection refused or lost, database gone, server
    /// shutting down, pool exhausted or closed, SQLite file locked or unreadable).
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Sqlx(
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed,
            ) => true,
            DbError::Sqlx(sqlx::Error::Database(e)) => match database_code(e.as_ref()) {
                Some(Code::Sqlite(n)) => matches!(n & 0xff, 5 | 10 | 14),
                Some(Code::Postgres(c)) => c.starts_with("08") || c.starts_with("57P") || c == "3D000" || c == "53300",
                None => false,
            },
            _ => false,
        }
    }

    /// The database is out of space (SQLite FULL, PostgreSQL disk_full 53100): writes fail
    /// until an operator frees space; reads go on.
    pub fn is_full(&self) -> bool {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => match database_code(e.as_ref()) {
                Some(Code::Sqlite(n)) => n & 0xff == 13,
                Some(Code::Postgres(c)) => c == "53100",
                None => false,
            },
            DbError::Sqlx(sqlx::Error::Io(e)) => e.kind() == std::io::ErrorKind::StorageFull,
            _ => false,
        }
    }

    /// The database refused a value the request carried (PostgreSQL's data exceptions, class
    /// 22: a NUL character in text, a number out of range…; SQLite's TOOBIG and MISMATCH):
    /// bad input that slipped past validation, not an outage.
    pub fn is_invalid_data(&self) -> bool {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => match database_code(e.as_ref()) {
                Some(Code::Sqlite(n)) => matches!(n & 0xff, 18 | 20),
                Some(Code::Postgres(c)) => c.starts_with("22"),
                None => false,
            },
            _ => false,
        }
    }
}

/// A database error code: SQLite's numeric result codes (extended codes carry the primary
/// code in their low byte: BUSY 5, IOERR 10, CANTOPEN 14, TOOBIG 18, MISMATCH 20) or a
/// PostgreSQL SQLSTATE (connection exceptions are class 08, operator intervention such as a
/// shutdown 57P01..57P05, a dropped database 3D000, too many connections 53300). The two are
/// told apart by the driver's error type: some SQLSTATEs are all digits too (22021 would read
/// as an SQLite BUSY).
enum Code {
    Sqlite(i64),
    Postgres(String),
}

fn database_code(e: &dyn sqlx::error::DatabaseError) -> Option<Code> {
    let code = e.code()?;
    if e.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        code.parse().ok().map(Code::Sqlite)
    } else {
        Some(Code::Postgres(code.into_owned()))
    }
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(DbError::UnsupportedUrl(url.to_string()))
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The database handle shared by the whole process. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer at a time; serializing write transactions in-process keeps
    /// them from queueing on the busy timeout. PostgreSQL needs no such lock.
    write_lock: Option<Arc<Mutex<()>>>,
    /// Counts write transactions committed through this handle (for in-process caches).
    generation: Arc<AtomicU64>,
    /// Counts them too, except those that only add to counters (`WriteTx::commit_counters`).
    content_generation: Arc<AtomicU64>,
}

impl Db {
    /// Connects and runs the backend's migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let mut url = url.to_string();
        if backend == Backend::Sqlite {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:")
                .split('?')
                .next()
                .unwrap_or_default()
                .to_string();
            if let Some(parent) = std::path::Path::new(&path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|e| DbError::Sqlx(e.into()))?;
                }
            }
            // Create the file when missing, also when the URL carries other options.
            match url.split_once('?') {
                None => url.push_str("?mode=rwc"),
                Some((_, query)) if !query.split('&').any(|kv| kv.starts_with("mode=")) => url.push_str("&mode=rwc"),
                Some(_) => {}
            }
        }
        let opts = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            // A transaction that ended badly (a COMMIT that failed after SQLite had already
            // rolled back, on a full disk say) can leave the driver believing a transaction
            // is still open, and every later BEGIN on that connection fails. Such a
            // connection is closed instead of going back to the pool. The ping first runs
            // the rollback the driver queued when the transaction was dropped.
            .after_release(|conn, _| {
                Box::pin(async move {
                    conn.ping().await?;
                    Ok(!conn.is_in_transaction())
                })
            })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await?;
        let db = Db {
            pool,
            backend,
            write_lock: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))),
            generation: Arc::default(),
            content_generation: Arc::default(),
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Whether the PostgreSQL database at `url` holds Trove's schema (its migrations table),
    /// without changing anything; `Err` when it cannot be reached (or does not exist).
    pub async fn postgres_has_schema(url: &str) -> Result<bool> {
        use sqlx::Connection as _;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        let (n,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
        )
        .fetch_one(&mut conn)
        .await?;
        let _ = conn.close().await;
        Ok(n > 0)
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    /// Changes whenever a write transaction of this process commits: a cache filled at one
    /// generation is stale once it differs.
    pub fn write_generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Changes whenever a write transaction of this process commits, except one that only
    /// adds to counters (download counts: `WriteTx::commit_counters`): for caches of what such
    /// writes cannot change (OCI manifests), which then survive the periodic count flush.
    pub fn content_generation(&self) -> u64 {
        self.content_generation.load(Ordering::Acquire)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection for reads (and single-statement writes on PostgreSQL).
    pub async fn conn(&self) -> Result<PoolConnection<Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Starts a write transaction. On SQLite it also holds the process-wide writer lock.
    pub async fn write(&self) -> Result<WriteTx> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        // IMMEDIATE takes SQLite's write lock up front (waiting out the busy timeout), so a
        // transaction that reads before it writes cannot fail with SQLITE_BUSY_SNAPSHOT when
        // another process (or another node on the same file) committed in between.
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx {
            tx,
            _guard: guard,
            generation: self.generation.clone(),
            content_generation: self.content_generation.clone(),
        })
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        conn.ping().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }

    /// Checks the database accepts a write: rewrites the one row of `health_probe` in a write
    /// transaction (a full disk or a read-only database fails here while reads still work).
    pub async fn check_writable(&self) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE health_probe SET checked_at = $1 WHERE id = 1")
            .bind(trove_core::now_ms())
            .execute(&mut *tx)
            .await?;
        // Not counted as a change: caches keyed on the write generation stay valid.
        tx.tx.commit().await?;
        Ok(())
    }

    /// Pool figures for metrics: (connections open, idle).
    pub fn pool_stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A write transaction; derefs to the connection so repositories take `&mut tx`.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    _guard: Option<OwnedMutexGuard<()>>,
    generation: Arc<AtomicU64>,
    content_generation: Arc<AtomicU64>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        self.content_generation.fetch_add(1, Ordering::Release);
        self.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// Commits a transaction that only added to counters (download counts): it changes the
    /// write generation but not the content generation (`Db::content_generation`).
    pub async fn commit_counters(self) -> Result<()> {
        self.tx.commit().await?;
        self.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }
}

impl Deref for WriteTx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.tx
    }
}
