//! Configuration: defaults, then a TOML file, then `TROVE_*` environment variables.
//!
//! Environment names are the TOML path in upper case: `TROVE_DATABASE_URL` sets
//! `database.url`, `TROVE_SERVER_LISTEN` sets `server.listen`, `TROVE_DATA_DIR` sets
//! `data_dir`. A double underscore also separates levels (`TROVE_STORAGE__BUCKET`).

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the embedded defaults keep their files (SQLite database, blobs, staging).
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub storage: StorageSection,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
    pub log: LogConfig,
    pub stats: StatsConfig,
    pub oci: trove_oci::OciConfig,
    pub npm: trove_npm::NpmConfig,
    pub rate_limits: RateLimitsConfig,
    pub webhooks: WebhooksConfig,
    pub retention: RetentionConfig,
    pub scan: ScanConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: String,
    /// Public URL of this registry; defaults to `http://{listen}`.
    pub base_url: Option<String>,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_timeout_secs: u64,
    /// Time a client has to send a request's headers, counted from the connection's opening
    /// or the end of the previous response (so also the keep-alive idle timeout).
    pub header_read_timeout_secs: u64,
    /// Longest wait for the next bytes of a request body; then 408 and the connection closes.
    pub body_timeout_secs: u64,
    /// Least average upload rate in bytes per second (0: none), enforced once a body has been
    /// arriving for `body_timeout_secs`; slower bodies get 408.
    pub min_body_bytes_per_sec: u64,
    /// A client that reads nothing of a response for this long is disconnected.
    pub send_timeout_secs: u64,
    /// Most open connections (also kept below the open-file limit). At the cap, the
    /// oldest idle connection is closed to make room.
    pub max_connections: usize,
    /// HTTPS: PEM certificate chain (leaf first). With `tls_key`, the server speaks TLS only,
    /// HTTP/2 or HTTP/1.1 by ALPN; both files are reloaded when they change.
    pub tls_cert: Option<PathBuf>,
    /// HTTPS: PEM private key (PKCS#8, PKCS#1 or SEC1) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// How often the certificate files are checked for changes.
    pub tls_reload_secs: u64,
    /// Plain HTTP/2 with prior knowledge (h2c) besides HTTP/1.1 on a server without TLS, for
    /// a proxy that terminates TLS and speaks HTTP/2 to Trove.
    pub h2c: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path` or `postgres://…`; defaults to `sqlite://{data_dir}/trove.db`.
    pub url: Option<String>,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSection {
    /// `fs` (default) or `s3`.
    pub backend: String,
    /// For `fs`: defaults to `{data_dir}/blobs`.
    pub path: Option<PathBuf>,
    pub bucket: Option<String>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub prefix: Option<String>,
    pub path_style: bool,
    /// Leftovers of interrupted uploads (staging files, partial blob files) older than this
    /// are removed at start and by garbage collection.
    pub stale_upload_secs: u64,
    /// For `s3`: answer blob and archive downloads with a `307` to a presigned URL of the
    /// object, so the bytes come from the S3 server instead of through Trove.
    pub redirect: bool,
    /// How long a presigned URL of `redirect` is valid.
    pub redirect_ttl_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub registration_open: bool,
    pub session_ttl_hours: i64,
    /// Argon2id memory cost in KiB.
    pub argon2_memory_kib: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    pub max_archive_bytes: u64,
    pub max_unpacked_bytes: u64,
    pub max_file_bytes: u64,
    pub max_archive_entries: u64,
    pub delete_grace_hours: i64,
    /// Largest JSON request body.
    pub max_json_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `json` (default) or `text`.
    pub format: String,
    /// A tracing filter, e.g. `info` or `trove=debug,info`.
    pub level: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatsConfig {
    /// How often buffered download counts are written.
    pub flush_interval_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Whether this node sends queued deliveries (events are queued by every node).
    pub deliver: bool,
    /// First retry delay; later ones are ×3, ×12, ×60 and ×360 (10 s → 30 s, 2 min, 10 min, 1 h).
    pub retry_base_ms: u64,
    /// Timeout of one delivery request.
    pub timeout_ms: u64,
    /// Allow receivers on loopback, private and link-local addresses (off: a user could
    /// otherwise make the registry call internal services).
    pub allow_private_targets: bool,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            deliver: true,
            retry_base_ms: 10_000,
            timeout_ms: 10_000,
            allow_private_targets: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// How often each namespace's retention policy is applied (0: only on request, through
    /// `POST /api/v1/namespaces/{scope}/retention/apply`).
    pub interval_secs: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig { interval_secs: 86_400 }
    }
}

/// The publish-time scanner: `command` runs (with `sh -c`) on every published version's files
/// and every pushed OCI image's layers; see `trove_service::scans` and the README.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanConfig {
    /// A shell command line (`sh -c`); empty: no scanning.
    pub command: String,
    /// A run longer than this is killed (its whole process group) and counts as an error.
    pub timeout_secs: u64,
    /// Keep versions from installs until their scan passes.
    pub quarantine: bool,
    /// Attempts before a crashing or hanging scanner's verdict is `error`.
    pub max_attempts: u32,
    /// Scans run at once on each node.
    pub concurrency: usize,
    /// Delay before the first retry; doubled for each further one (at most an hour).
    pub retry_base_ms: u64,
    /// How long a claim outlives `timeout_secs`: a scan whose node died is run again by
    /// another node once this has passed too.
    pub lease_margin_secs: u64,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            command: String::new(),
            timeout_secs: 300,
            quarantine: false,
            max_attempts: 3,
            concurrency: 2,
            retry_base_ms: 30_000,
            lease_margin_secs: 60,
        }
    }
}

/// Requests per minute by class (anonymous by client IP, authenticated by credential) and
/// action (reads = GET/HEAD, writes = other methods, login attempts per IP + username).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitsConfig {
    pub enabled: bool,
    /// `memory` (this node only) or `redis` (shared by every node).
    pub backend: String,
    pub redis_url: String,
    /// Prefix of every Redis key.
    pub key_prefix: String,
    pub anonymous_reads_per_minute: u64,
    pub anonymous_writes_per_minute: u64,
    pub authenticated_reads_per_minute: u64,
    pub authenticated_writes_per_minute: u64,
    pub login_attempts_per_minute: u64,
    /// Peer addresses whose `X-Forwarded-For` is believed (exact IPs); empty: never.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./trove-data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            storage: StorageSection::default(),
            auth: AuthConfig::default(),
            limits: LimitsConfig::default(),
            log: LogConfig::default(),
            stats: StatsConfig::default(),
            oci: trove_oci::OciConfig::default(),
            npm: trove_npm::NpmConfig::default(),
            rate_limits: RateLimitsConfig::default(),
            webhooks: WebhooksConfig::default(),
            retention: RetentionConfig::default(),
            scan: ScanConfig::default(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            base_url: None,
            shutdown_timeout_secs: 30,
            header_read_timeout_secs: 30,
            body_timeout_secs: 30,
            min_body_bytes_per_sec: 1024,
            send_timeout_secs: 60,
            max_connections: 4096,
            tls_cert: None,
            tls_key: None,
            tls_reload_secs: 10,
            h2c: false,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: None,
            max_connections: 16,
        }
    }
}

impl Default for StorageSection {
    fn default() -> Self {
        StorageSection {
            backend: "fs".into(),
            path: None,
            bucket: None,
            endpoint: None,
            region: None,
            access_key_id: None,
            secret_access_key: None,
            prefix: None,
            path_style: true,
            stale_upload_secs: 3600,
            redirect: false,
            redirect_ttl_secs: 300,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            registration_open: true,
            session_ttl_hours: 24 * 30,
            argon2_memory_kib: 19 * 1024,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_archive_bytes: 50 * 1024 * 1024,
            max_unpacked_bytes: 256 * 1024 * 1024,
            max_file_bytes: 64 * 1024 * 1024,
            max_archive_entries: 10_000,
            delete_grace_hours: 72,
            max_json_bytes: 1024 * 1024,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "json".into(),
            level: "info".into(),
        }
    }
}

impl Default for StatsConfig {
    fn default() -> Self {
        StatsConfig {
            flush_interval_ms: 5_000,
        }
    }
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        RateLimitsConfig {
            enabled: true,
            backend: "memory".into(),
            redis_url: "redis://127.0.0.1:6379".into(),
            key_prefix: "trove:ratelimit:".into(),
            anonymous_reads_per_minute: 6_000,
            anonymous_writes_per_minute: 600,
            authenticated_reads_per_minute: 12_000,
            authenticated_writes_per_minute: 1_200,
            login_attempts_per_minute: 20,
            trusted_proxies: Vec::new(),
        }
    }
}

const SECTIONS: &[&str] = &[
    "server",
    "database",
    "storage",
    "auth",
    "limits",
    "log",
    "stats",
    "oci",
    "npm",
    "rate_limits",
    "webhooks",
    "retention",
    "scan",
];

impl Config {
    /// Loads defaults, then the file (if given), then the process environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        Self::load_with_env(file, std::env::vars())
    }

    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Config> {
        let mut table = match file {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
                text.parse::<toml::Table>()
                    .with_context(|| format!("parsing config file {}", path.display()))?
            }
            None => toml::Table::new(),
        };
        for (key, value) in env {
            let Some(rest) = key.strip_prefix("TROVE_") else {
                continue;
            };
            // Client-side and test variables, and TROVE_LOG (a log filter read by the logger).
            if rest == "TOKEN"
                || rest == "LOG"
                || rest.starts_with("CONFIG")
                || rest.starts_with("TEST_")
                || rest.starts_with("REGISTRY")
                || rest.starts_with("BENCH_")
                || rest.starts_with("SKIP_")
                || rest == "SCREENSHOTS"
            {
                continue;
            }

            let path = env_path(rest)?;
            set_path(&mut table, &path, parse_env_value(&value));
        }
        let mut config: Config = toml::Value::Table(table)
            .try_into()
            .context("invalid configuration (check key names and value types)")?;
        // An empty value (`TROVE_SERVER__BASE_URL=`) means "not set", as for a shell variable.
        if config.server.base_url.as_deref().is_some_and(|b| b.trim().is_empty()) {
            config.server.base_url = None;
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        match self.storage.backend.as_str() {
            "fs" => {}
            "s3" if self.storage.bucket.is_none() => {
                bail!("storage.backend = \"s3\" needs storage.bucket")
            }
            "s3" => {}
            other => bail!("unknown storage.backend `{other}`: use fs or s3"),
        }
        if !matches!(self.rate_limits.backend.as_str(), "memory" | "redis") {
            bail!(
                "unknown rate_limits.backend `{}`: use memory or redis",
                self.rate_limits.backend
            );
        }
        if !matches!(self.log.format.as_str(), "json" | "text") {
            bail!("unknown log.format `{}`: use json or text", self.log.format);
        }
        if let Some(b) = &self.server.base_url {
            // Every absolute URL Trove hands out (tarballs, indexes, token realms) starts with it.
            let ok = (b.starts_with("http://") || b.starts_with("https://"))
                && b.split_once("://").is_some_and(|(_, rest)| {
                    !rest.is_empty() && !rest.starts_with('/') && !rest.contains(['?', '#', ' '])
                });
            if !ok {
                bail!("server.base_url `{b}` must be an absolute http(s) URL such as https://trove.example.com");
            }
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        self.database
            .url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("trove.db").display()))
    }

    /// Where clients reach the registry, for absolute URLs in answers.
    pub fn origin(&self) -> trove_http::origin::Origin {
        trove_http::origin::Origin::new(self.server.base_url.clone(), self.server.tls_cert.is_some())
    }

    /// `https` when TLS is configured.
    pub fn scheme(&self) -> &'static str {
        if self.server.tls_cert.is_some() {
            "https"
        } else {
            "http"
        }
    }

    pub fn base_url(&self) -> String {
        self.server
            .base_url
            .clone()
            .unwrap_or_else(|| format!("{}://{}", self.scheme(), self.server.listen))
            .trim_end_matches('/')
            .to_string()
    }

    pub fn storage_config(&self) -> trove_storage::StorageConfig {
        let s = &self.storage;
        if s.backend == "s3" {
            trove_storage::StorageConfig::S3 {
                bucket: s.bucket.clone().unwrap_or_default(),
                endpoint: s.endpoint.clone(),
                region: s.region.clone().unwrap_or_else(|| "us-east-1".into()),
                access_key_id: s.access_key_id.clone(),
                secret_access_key: s.secret_access_key.clone(),
                prefix: s.prefix.clone(),
                path_style: s.path_style,
            }
        } else {
            trove_storage::StorageConfig::Fs {
                path: s.path.clone().unwrap_or_else(|| self.data_dir.join("blobs")),
            }
        }
    }

    pub fn staging_dir(&self) -> PathBuf {
        self.data_dir.join("staging")
    }

    pub fn service_config(&self) -> trove_service::ServiceConfig {
        let l = &self.limits;
        trove_service::ServiceConfig {
            registration_open: self.auth.registration_open,
            session_ttl_ms: self.auth.session_ttl_hours * 3_600_000,
            delete_grace_ms: l.delete_grace_hours * 3_600_000,
            max_archive_bytes: l.max_archive_bytes,
            archive_limits: trove_tarball::Limits {
                max_unpacked_bytes: l.max_unpacked_bytes,
                max_file_bytes: l.max_file_bytes,
                max_entries: l.max_archive_entries,
                ..trove_tarball::Limits::default()
            },
            argon2_m_cost: self.auth.argon2_memory_kib,
            base_url: self.base_url(),
            webhook_retry_base_ms: self.webhooks.retry_base_ms,
            webhook_timeout_ms: self.webhooks.timeout_ms,
            webhook_allow_private: self.webhooks.allow_private_targets,
            stale_upload_ms: (self.storage.stale_upload_secs as i64).saturating_mul(1000),
            scan: self.scan_settings(),
            npm_unscoped_namespace: self.npm.unscoped_namespace.clone(),
            gc_min_age_ms: (self.oci.gc_min_age_secs as i64).saturating_mul(1000),
            oci_delete_enabled: self.oci.delete_enabled,
            search_dir: Some(self.data_dir.join("search")),
        }
    }

    /// The scanner's settings, when a command is configured.
    pub fn scan_settings(&self) -> Option<trove_service::scans::ScanSettings> {
        let s = &self.scan;
        (!s.command.trim().is_empty()).then(|| trove_service::scans::ScanSettings {
            command: s.command.clone(),
            timeout_ms: s.timeout_secs.max(1).saturating_mul(1000),
            quarantine: s.quarantine,
            max_attempts: i64::from(s.max_attempts.max(1)),
            concurrency: s.concurrency.max(1),
            retry_base_ms: s.retry_base_ms.max(1),
            lease_margin_ms: s.lease_margin_secs.saturating_mul(1000),
        })
    }
}

/// `DATABASE_URL` → `["database", "url"]`, `DATA_DIR` → `["data_dir"]`,
/// `STORAGE__PATH_STYLE` → `["storage", "path_style"]`.
fn env_path(rest: &str) -> anyhow::Result<Vec<String>> {
    let lower = rest.to_ascii_lowercase();
    if lower.contains("__") {
        return Ok(lower.split("__").map(str::to_string).collect());
    }
    for s in SECTIONS {
        if let Some(key) = lower.strip_prefix(&format!("{s}_")) {
            return Ok(vec![s.to_string(), key.to_string()]);
        }
    }
    if lower == "data_dir" {
        return Ok(vec![lower]);
    }
    bail!(
        "unknown environment variable TROVE_{rest}: expected TROVE_<SECTION>_<KEY> with a section of {}",
        SECTIONS.join(", ")
    )
}

fn parse_env_value(v: &str) -> toml::Value {
    if let Ok(b) = v.parse::<bool>() {
        return toml::Value::Boolean(b);
    }
    if let Ok(i) = v.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    toml::Value::String(v.to_string())
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut t = table;
    for p in parents {
        let entry = t
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        t = entry.as_table_mut().expect("table");
    }
    t.insert(last.clone(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_are_embedded() {
        let c = Config::load_with_env(None, env(&[])).unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:8080");
        assert_eq!(c.database_url(), "sqlite://./trove-data/trove.db");
        assert!(
            matches!(c.storage_config(), trove_storage::StorageConfig::Fs { path } if path == Path::new("./trove-data/blobs"))
        );
    }

    #[test]
    fn file_then_env() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("trove.toml");
        std::fs::write(
            &f,
            "data_dir = \"/srv/trove\"\n[server]\nlisten = \"0.0.0.0:9000\"\n[auth]\nregistration_open = true\n",
        )
        .unwrap();
        let c = Config::load_with_env(
            Some(&f),
            env(&[
                ("TROVE_AUTH_REGISTRATION_OPEN", "false"),
                ("TROVE_DATABASE_URL", "postgres://x/y"),
                ("TROVE_STORAGE__BACKEND", "fs"),
                ("TROVE_TOKEN", "ignored"),
                ("TROVE_LOG", "debug"),
                ("TROVE_SKIP_BROWSER", "1"),
            ]),
        )
        .unwrap();
        assert_eq!(c.server.listen, "0.0.0.0:9000");
        assert!(!c.auth.registration_open);
        assert_eq!(c.database_url(), "postgres://x/y");
        assert_eq!(c.staging_dir(), PathBuf::from("/srv/trove/staging"));
    }

    #[test]
    fn rate_limits_from_env() {
        let c = Config::load_with_env(
            None,
            env(&[
                ("TROVE_RATE_LIMITS_BACKEND", "redis"),
                ("TROVE_RATE_LIMITS_LOGIN_ATTEMPTS_PER_MINUTE", "3"),
                ("TROVE_RATE_LIMITS_ENABLED", "false"),
            ]),
        )
        .unwrap();
        assert_eq!(c.rate_limits.backend, "redis");
        assert_eq!(c.rate_limits.login_attempts_per_minute, 3);
        assert!(!c.rate_limits.enabled);
        assert_eq!(Config::default().rate_limits.anonymous_reads_per_minute, 6_000);
    }

    #[test]
    fn bad_config_is_explained() {
        let err = Config::load_with_env(None, env(&[("TROVE_BOGUS", "1")])).unwrap_err();
        assert!(err.to_string().contains("TROVE_BOGUS"), "{err}");
        let err = Config::load_with_env(None, env(&[("TROVE_STORAGE_BACKEND", "s3")])).unwrap_err();
        assert!(err.to_string().contains("bucket"), "{err}");
        let err = Config::load_with_env(None, env(&[("TROVE_RATE_LIMITS_BACKEND", "etcd")])).unwrap_err();
        assert!(err.to_string().contains("memory or redis"), "{err}");
        let err = Config::load_with_env(None, env(&[("TROVE_SERVER_BASE_URL", "trove.example.com")])).unwrap_err();
        assert!(err.to_string().contains("absolute http(s) URL"), "{err}");
        let err = Config::load_with_env(None, env(&[("TROVE_SERVER_BASE_URL", "/npm")])).unwrap_err();
        assert!(err.to_string().contains("absolute http(s) URL"), "{err}");
        let c = Config::load_with_env(None, env(&[("TROVE_SERVER_BASE_URL", "")])).unwrap();
        assert_eq!(c.server.base_url, None, "an empty value is no value");
        let c = Config::load_with_env(None, env(&[("TROVE_SERVER_BASE_URL", "https://trove.example.com/")])).unwrap();
        assert_eq!(c.base_url(), "https://trove.example.com");
        let err = Config::load_with_env(None, env(&[("TROVE_SERVER_LISTNE", "x")])).unwrap_err();
        assert!(format!("{err:#}").contains("listne"), "{err:#}");
    }
}
