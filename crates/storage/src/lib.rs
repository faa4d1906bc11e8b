//! Content-addressed blob store: bytes are stored once under their sha256 digest, over a
//! local directory or any S3-compatible server. Uploads are staged in a local temporary file
//! while hashed, so nothing reaches the store before its digest and size are known; on the
//! filesystem store the finished file is then linked into place (written once). On S3,
//! reads can be handed to the server itself with presigned URLs (`with_redirects`).

mod multipart;
mod pump;
mod read;
mod sha256;
mod staging;
mod upload;

pub use multipart::{MultipartState, Part, UploadObject, MIN_PART};
pub use sha256::{BadHashState, RunningSha256};
pub use staging::{StagedBlob, StagingError};
pub use upload::{AppendError, UploadFile};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, GetRange, ObjectStore, PutPayload, RetryConfig, WriteMultipart,
};
use serde::Deserialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use trove_core::Digest;

/// Largest byte offset a ranged read asks for (S3 servers refuse offsets past `i64::MAX`).
const MAX_OFFSET: u64 = if (usize::MAX as u64) < i64::MAX as u64 {
    usize::MAX as u64
} else {
    i64::MAX as u64
};

/// Client settings for S3. The defaults retry a few times quickly and then report the error,
/// so an unreachable server shows up within seconds (health checks, requests) instead of after
/// the object_store default of ten retries over up to three minutes.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for one whole request other than a streamed read: metadata, a single put, one
    /// multipart part (at most 8 MiB), a small read. Streamed reads (`get`) have no overall
    /// limit, since a download may take as long as the client needs to read it.
    pub request_timeout: Duration,
    /// Retries of a failed request (connection errors, 5xx, throttling).
    pub max_retries: usize,
    /// No retry starts later than this after the first attempt.
    pub retry_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(60),
            max_retries: 3,
            retry_timeout: Duration::from_secs(10),
        }
    }
}

impl StoreOptions {
    fn retry(&self) -> RetryConfig {
        RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(1),
                base: 2.,
            },
            max_retries: self.max_retries,
            retry_timeout: self.retry_timeout,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("blob {0} not found")]
    NotFound(String),
    #[error("requested range is not satisfiable")]
    RangeNotSatisfiable,
    #[error("storage backend error: {0}")]
    Backend(#[from] object_store::Error),
    #[error("storage io error: {0}")]
    Io(#[from] std::io::Error),
    #[error("storage configuration error: {0}")]
    Config(String),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum StorageConfig {
    Fs {
        /// Directory holding the blobs.
        path: PathBuf,
    },
    S3 {
        bucket: String,
        #[serde(default)]
        endpoint: Option<String>,
        #[serde(default = "default_region")]
        region: String,
        #[serde(default)]
        access_key_id: Option<String>,
        #[serde(default)]
        secret_access_key: Option<String>,
        /// Key prefix inside the bucket.
        #[serde(default)]
        prefix: Option<String>,
        /// Use path-style URLs (`endpoint/bucket/key`), as most self-hosted servers need.
        #[serde(default = "yes")]
        path_style: bool,
    },
}

fn default_region() -> String {
    "us-east-1".into()
}
fn yes() -> bool {
    true
}

/// A byte stream of (part of) a blob.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

pub struct BlobRead {
    /// Total size of the blob.
    pub size: u64,
    /// The bytes served (the whole blob or the requested range).
    pub range: Range<u64>,
    pub stream: ByteStream,
}

#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    /// The same store without an overall request timeout, for streamed reads.
    streaming: Arc<dyn ObjectStore>,
    prefix: String,
    staging_dir: PathBuf,
    /// The directory of the `fs` backend (for sweeping partial files).
    fs_root: Option<PathBuf>,
    describe: String,
    /// The S3 client, which can presign URLs of its objects.
    signer: Option<Arc<object_store::aws::AmazonS3>>,
    /// Reads are answered with presigned URLs valid this long (`with_redirects`).
    redirect_ttl: Option<Duration>,
}

/// What a sweep of leftovers removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    pub files: u64,
    pub bytes: u64,
}

impl SweepReport {
    /// Counts what the sweep removed in the leftover metrics and logs it as `what`
    /// (nothing when it removed nothing).
    pub fn record(&self, what: &'static str) {
        if self.files == 0 {
            return;
        }
        metrics::counter!("trove_storage_leftovers_removed_total").increment(self.files);
        metrics::counter!("trove_storage_leftover_bytes_removed_total").increment(self.bytes);
        tracing::info!(files = self.files, bytes = self.bytes, "removed {what}");
    }
}

impl BlobStore {
    /// Opens the store. `staging_dir` is a local directory for uploads in progress.
    pub fn open(config: &StorageConfig, staging_dir: &Path) -> Result<Self> {
        Self::open_with(config, staging_dir, &StoreOptions::default())
    }

    /// Opens the store with explicit client settings (they only matter for S3).
    pub fn open_with(config: &StorageConfig, staging_dir: &Path, options: &StoreOptions) -> Result<Self> {
        std::fs::create_dir_all(staging_dir)?;
        let mut signer = None;
        let (inner, streaming, prefix, describe): (Arc<dyn ObjectStore>, Arc<dyn ObjectStore>, String, String) =
            match config {
                StorageConfig::Fs { path } => {
                    std::fs::create_dir_all(path)?;
                    let fs: Arc<dyn ObjectStore> = Arc::new(LocalFileSystem::new_with_prefix(path)?);
                    (fs.clone(), fs, String::new(), format!("fs:{}", path.display()))
                }
                StorageConfig::S3 {
                    bucket,
                    endpoint,
                    region,
                    access_key_id,
                    secret_access_key,
                    prefix,
                    path_style,
                } => {
                    let s3 = |request_timeout: Option<Duration>| {
                        let mut client = ClientOptions::new().with_connect_timeout(options.connect_timeout);
                        client = match request_timeout {
                            Some(t) => client.with_timeout(t),
                            None => client.with_timeout_disabled(),
                        };
                        if let Some(e) = endpoint {
                            client = client.with_allow_http(e.starts_with("http://"));
                        }
                        let mut b = AmazonS3Builder::new()
                            .with_bucket_name(bucket)
                            .with_region(region)
                            .with_virtual_hosted_style_request(!path_style)
                            .with_client_options(client)
                            .with_retry(options.retry());
                        if let Some(e) = endpoint {
                            b = b.with_endpoint(e);
                        }
                        if let Some(k) = access_key_id {
                            b = b.with_access_key_id(k);
                        }
                        if let Some(s) = secret_access_key {
                            b = b.with_secret_access_key(s);
                        }
                        b.build()
                    };
                    let inner = Arc::new(s3(Some(options.request_timeout))?);
                    signer = Some(inner.clone());
                    let streaming = Arc::new(s3(None)?);
                    let prefix = prefix.clone().unwrap_or_default().trim_matches('/').to_string();
                    (inner, streaming, prefix, format!("s3:{bucket}"))
                }
            };
        let fs_root = match config {
            StorageConfig::Fs { path } => Some(path.clone()),
            StorageConfig::S3 { .. } => None,
        };
        // On the filesystem store, uploads are staged where they can be linked into place:
        // a staging directory on another filesystem is replaced by one inside the store.
        let staging_dir = match &fs_root {
            Some(root) if !same_filesystem(staging_dir, root) => {
                let inside = root.join("staging");
                std::fs::create_dir_all(&inside)?;
                tracing::info!(staging = %inside.display(), "staging uploads inside the blob store's filesystem");
                inside
            }
            _ => staging_dir.to_path_buf(),
        };
        Ok(BlobStore {
            inner,
            streaming,
            prefix,
            staging_dir,
            fs_root,
            describe,
            signer,
            redirect_ttl: None,
        })
    }

    /// Lets readers be sent to the S3 server itself: [`BlobStore::redirect_url`] then gives
    /// presigned URLs valid for `ttl`. No effect on the filesystem store.
    pub fn with_redirects(mut self, ttl: Duration) -> Self {
        self.redirect_ttl = Some(ttl);
        self
    }

    /// A short-lived presigned `GET` URL of the blob on the S3 server, when the store is S3
    /// and redirects are on (`None` otherwise: serve the bytes).
    pub async fn redirect_url(&self, digest: &Digest) -> Result<Option<String>> {
        use object_store::signer::Signer as _;
        let (Some(signer), Some(ttl)) = (&self.signer, self.redirect_ttl) else {
            return Ok(None);
        };
        let url = signer.signed_url(http::Method::GET, &self.key(digest), ttl).await?;
        metrics::counter!("trove_storage_redirects_total").increment(1);
        Ok(Some(url.to_string()))
    }

    pub fn describe(&self) -> &str {
        &self.describe
    }

    fn key(&self, digest: &Digest) -> ObjPath {
        let hex = digest.hex();
        let rel = format!("blobs/{}/{}/{}", digest.algorithm().name(), &hex[..2], hex);
        if self.prefix.is_empty() {
            ObjPath::from(rel)
        } else {
            ObjPath::from(format!("{}/{}", self.prefix, rel))
        }
    }

    /// Removes what interrupted uploads leave behind once older than `min_age`: staging files
    /// (`upload-*`, from a process killed while receiving a body, or chunked uploads' joined
    /// files in `joins/`) and, on the `fs` backend, the files of abandoned uploads appended in
    /// place (`uploads/`) and
    /// partial blob files (`<hex>#<n>`, from a process killed while copying into the store,
    /// which renames complete files into place). Younger files may belong to uploads in
    /// progress, here or on another node sharing the directories, and are kept.
    pub async fn sweep_leftovers(&self, min_age: Duration) -> Result<SweepReport> {
        let staging = self.staging_dir.clone();
        let joins = self.joins_dir();
        let blobs = self.fs_root.as_ref().map(|r| r.join("blobs"));
        let uploads = self.uploads_dir_for_sweep();
        let report = tokio::task::spawn_blocking(move || {
            let mut report = SweepReport::default();
            sweep_dir(&staging, min_age, &mut report, &|name| name.starts_with("upload-"))?;
            sweep_dir(&joins, min_age, &mut report, &|name| name.starts_with("upload-"))?;
            if let Some(uploads) = uploads {
                // Files of uploads appended in place, untouched as long as an abandoned
                // upload's row lives (their uploads expired, or a crash came between).
                sweep_dir(&uploads, min_age, &mut report, &|_| true)?;
            }
            if let Some(blobs) = blobs {
                // blobs/<algorithm>/<xx>/<hex>#<n>
                for alg in read_dir_or_empty(&blobs)? {
                    for fan in read_dir_or_empty(&alg)? {
                        sweep_dir(&fan, min_age, &mut report, &|name| name.contains('#'))?;
                    }
                }
            }
            Ok::<_, std::io::Error>(report)
        })
        .await
        .map_err(|e| StorageError::Io(std::io::Error::other(e)))??;
        report.record("leftovers of interrupted uploads");
        Ok(report)
    }

    /// Starts staging an upload in a local temporary file.
    pub async fn stage(&self) -> Result<StagedBlob> {
        Ok(StagedBlob::new(&self.staging_dir).await?)
    }

    /// Starts a staging file that outlives requests: the bytes of a chunked upload joined as
    /// its chunks arrive. Kept apart from request bodies (`joins/` beside the staging
    /// directory, on the same filesystem) and swept the same way.
    pub async fn stage_join(&self) -> Result<StagedBlob> {
        let dir = self.joins_dir();
        tokio::fs::create_dir_all(&dir).await?;
        Ok(StagedBlob::new(&dir).await?)
    }

    fn joins_dir(&self) -> PathBuf {
        match self.staging_dir.parent() {
            Some(p) => p.join("joins"),
            None => self.staging_dir.join("joins"),
        }
    }

    /// Stores a staged blob under its digest. Storing a digest that exists already is a no-op,
    /// so concurrent stores of the same bytes are safe.
    async fn commit_raw(&self, staged: &StagedBlob) -> Result<()> {
        let digest = staged
            .digest()
            .ok_or_else(|| StorageError::Config("blob not finished".into()))?;
        if self.size(&digest).await?.is_some() {
            return Ok(());
        }
        let key = self.key(&digest);
        let size = staged.size();
        if let Some(root) = &self.fs_root {
            // Written once: the staged file (complete, flushed) becomes the blob under a
            // second name, atomically; no copy. Only across filesystems is it copied below.
            let (from, to) = (staged.path_buf(), root.join(key.as_ref()));
            let linked = tokio::task::spawn_blocking(move || link_into_place(&from, &to))
                .await
                .map_err(|e| StorageError::Io(std::io::Error::other(e)))??;
            if linked {
                tracing::debug!(%digest, size, "blob stored (linked)");
                return Ok(());
            }
        }
        let mut file = tokio::fs::File::open(staged.path()).await?;
        if size <= 8 * 1024 * 1024 {
            let mut buf = Vec::with_capacity(size as usize);
            file.read_to_end(&mut buf).await?;
            self.inner.put(&key, PutPayload::from(buf)).await?;
        } else {
            let upload = self.inner.put_multipart(&key).await?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, 8 * 1024 * 1024);
            let mut buf = vec![0u8; 1024 * 1024];
            let written: Result<()> = async {
                loop {
                    let n = file.read(&mut buf).await?;
                    if n == 0 {
                        return Ok(());
                    }
                    writer.wait_for_capacity(4).await?;
                    writer.write(&buf[..n]);
                }
            }
            .await;
            if let Err(e) = written {
                // Leave no incomplete multipart upload behind (S3 keeps and bills those).
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(%digest, error = %abort, "could not abort a failed multipart upload");
                }
                return Err(e);
            }
            writer.finish().await?;
        }
        tracing::debug!(%digest, size, "blob stored");
        Ok(())
    }

    /// Stores bytes already in memory (small blobs such as manifests).
    async fn put_bytes_raw(&self, bytes: Bytes) -> Result<Digest> {
        let digest = Digest::sha256_of(&bytes);
        if self.size(&digest).await?.is_none() {
            self.inner.put(&self.key(&digest), PutPayload::from(bytes)).await?;
        }
        Ok(digest)
    }

    /// The blob's size, or `None` when it is not stored.
    async fn size_raw(&self, digest: &Digest) -> Result<Option<u64>> {
        match self.inner.head(&self.key(digest)).await {
            Ok(meta) => Ok(Some(meta.size as u64)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Streams a blob, or the byte range `range` of it (end exclusive, clamped to the size).
    /// A range that selects no byte of the blob (starting at or past its end, or empty) is
    /// `RangeNotSatisfiable`; a missing blob is `NotFound` whatever the range.
    async fn get_raw(&self, digest: &Digest, range: Option<Range<u64>>) -> Result<BlobRead> {
        if let Some(root) = &self.fs_root {
            return self.get_file(root, digest, range).await;
        }
        let mut opts = GetOptions::default();
        if let Some(r) = &range {
            if r.start >= r.end || r.start >= MAX_OFFSET {
                return match self.size(digest).await? {
                    None => Err(StorageError::NotFound(digest.to_string())),
                    Some(_) => Err(StorageError::RangeNotSatisfiable),
                };
            }
            // Servers refuse offsets past i64::MAX; no blob is that large, so clamp.
            let end = r.end.min(MAX_OFFSET);
            opts.range = Some(GetRange::Bounded(r.start as usize..end as usize));
        }
        let res = match self.streaming.get_opts(&self.key(digest), opts).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Err(StorageError::NotFound(digest.to_string())),
            Err(e) => {
                // Backends report an unsatisfiable range differently (a local range error, an
                // HTTP 416, a full response to a ranged request), so decide from the size.
                if let Some(r) = &range {
                    match self.size(digest).await {
                        Ok(None) => return Err(StorageError::NotFound(digest.to_string())),
                        Ok(Some(size)) if r.start >= size => return Err(StorageError::RangeNotSatisfiable),
                        _ => {}
                    }
                }
                return Err(e.into());
            }
        };
        let size = res.meta.size as u64;
        let served = res.range.start as u64..res.range.end as u64;
        let stream = res.into_stream().map_err(StorageError::from).boxed();
        Ok(BlobRead {
            size,
            range: served,
            stream,
        })
    }

    /// The filesystem backend's reads, straight from the file (see `read`).
    async fn get_file(&self, root: &Path, digest: &Digest, range: Option<Range<u64>>) -> Result<BlobRead> {
        let path = root.join(self.key(digest).as_ref());
        match read::open(path, range).await {
            Ok(Ok(o)) => Ok(BlobRead {
                size: o.size,
                range: o.served,
                stream: o.stream,
            }),
            Ok(Err(_)) => Err(StorageError::RangeNotSatisfiable),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::NotFound(digest.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads a whole (small) blob into memory.
    async fn get_bytes_raw(&self, digest: &Digest) -> Result<Bytes> {
        match self.inner.get(&self.key(digest)).await {
            Ok(r) => Ok(r.bytes().await?),
            Err(object_store::Error::NotFound { .. }) => Err(StorageError::NotFound(digest.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete_raw(&self, digest: &Digest) -> Result<()> {
        match self.inner.delete(&self.key(digest)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every stored blob with its last-modified time in ms (for garbage collection).
    async fn list_raw(&self) -> Result<Vec<(Digest, i64)>> {
        let root = if self.prefix.is_empty() {
            ObjPath::from("blobs")
        } else {
            ObjPath::from(format!("{}/blobs", self.prefix))
        };
        let mut out = Vec::new();
        let mut stream = self.inner.list(Some(&root));
        while let Some(meta) = stream.next().await {
            let meta = meta?;
            let parts: Vec<_> = meta.location.parts().collect();
            if parts.len() >= 3 {
                let alg = parts[parts.len() - 3].as_ref().to_string();
                let hex = parts[parts.len() - 1].as_ref().to_string();
                if let Ok(d) = Digest::parse(&format!("{alg}:{hex}")) {
                    out.push((d, meta.last_modified.timestamp_millis()));
                }
            }
        }
        Ok(out)
    }

    /// Readiness check: writes, reads back and deletes a small probe object.
    async fn check_raw(&self) -> Result<()> {
        let key = if self.prefix.is_empty() {
            ObjPath::from("health/probe")
        } else {
            ObjPath::from(format!("{}/health/probe", self.prefix))
        };
        let body = Bytes::from_static(b"ok");
        self.inner.put(&key, PutPayload::from(body.clone())).await?;
        let got = self.inner.get(&key).await?.bytes().await?;
        if got != body {
            return Err(StorageError::Config("probe read back different bytes".into()));
        }
        match self.inner.delete(&key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Gives the finished file `from` the name `to` as well (a hard link: same bytes, no copy), and
/// makes the new name durable. `false` when the two are not on one filesystem (or links are
/// not supported): the caller copies instead. An existing `to` holds the same bytes.
fn link_into_place(from: &Path, to: &Path) -> std::io::Result<bool> {
    let Some(dir) = to.parent() else {
        return Ok(false);
    };
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(from, std::fs::Permissions::from_mode(0o644))?;
    }
    match std::fs::hard_link(from, to) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(true),
        Err(e) => {
            tracing::debug!(error = %e, "cannot link a staged blob into the store; copying it");
            return Ok(false);
        }
    }
    std::fs::File::open(dir)?.sync_all()?;
    Ok(true)
}

/// Whether two existing paths are on one filesystem (unknown: assume so).
fn same_filesystem(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(a), Ok(b)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return a.dev() == b.dev();
        }
    }
    true
}

/// Subdirectories of `dir` (none when it does not exist).
fn read_dir_or_empty(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Removes the files of `dir` that `matches` names and that were last modified before
/// `min_age` ago.
fn sweep_dir(
    dir: &Path,
    min_age: Duration,
    report: &mut SweepReport,
    matches: &dyn Fn(&str) -> bool,
) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let now = std::time::SystemTime::now();
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        if !name.to_str().is_some_and(matches) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        if age < min_age {
            continue;
        }
        match std::fs::remove_file(entry.path()) {
            Ok(()) => {
                report.files += 1;
                report.bytes += meta.len();
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %entry.path().display(), error = %e, "could not remove a leftover file"),
        }
    }
    Ok(())
}

/// Runs a storage operation and records it: `trove_storage_operations_total{op,result}` and
/// `trove_storage_operation_duration_seconds{op}`.
async fn observe<T>(op: &'static str, fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    let start = std::time::Instant::now();
    let res = fut.await;
    let result = match &res {
        Ok(_) => "ok",
        Err(StorageError::NotFound(_)) => "not_found",
        Err(StorageError::RangeNotSatisfiable) => "bad_range",
        Err(_) => "error",
    };
    metrics::counter!("trove_storage_operations_total", "op" => op, "result" => result).increment(1);
    metrics::histogram!("trove_storage_operation_duration_seconds", "op" => op).record(start.elapsed().as_secs_f64());
    res
}

impl BlobStore {
    /// Stores a staged blob under its digest. Storing a digest that exists already is a no-op,
    /// so concurrent stores of the same bytes are safe.
    pub async fn commit(&self, staged: &StagedBlob) -> Result<()> {
        observe("put", self.commit_raw(staged)).await
    }

    /// Stores bytes already in memory (small blobs such as manifests).
    pub async fn put_bytes(&self, bytes: Bytes) -> Result<Digest> {
        observe("put", self.put_bytes_raw(bytes)).await
    }

    /// The blob's size, or `None` when it is not stored.
    pub async fn size(&self, digest: &Digest) -> Result<Option<u64>> {
        observe("head", self.size_raw(digest)).await
    }

    /// Streams a blob, or the byte range `range` of it (end exclusive, clamped to the size).
    /// A range that selects no byte of the blob (starting at or past its end, or empty) is
    /// `RangeNotSatisfiable`; a missing blob is `NotFound` whatever the range.
    pub async fn get(&self, digest: &Digest, range: Option<Range<u64>>) -> Result<BlobRead> {
        observe("get", self.get_raw(digest, range)).await
    }

    /// Reads a whole (small) blob into memory.
    pub async fn get_bytes(&self, digest: &Digest) -> Result<Bytes> {
        observe("get", self.get_bytes_raw(digest)).await
    }

    pub async fn delete(&self, digest: &Digest) -> Result<()> {
        observe("delete", self.delete_raw(digest)).await
    }

    /// Every stored blob with its last-modified time in ms (for garbage collection).
    pub async fn list(&self) -> Result<Vec<(Digest, i64)>> {
        observe("list", self.list_raw()).await
    }

    /// Readiness check: writes, reads back and deletes a small probe object.
    pub async fn check(&self) -> Result<()> {
        observe("check", self.check_raw()).await
    }
}
