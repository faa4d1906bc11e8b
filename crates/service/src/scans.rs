//! Publish-time scanning (`[scan] command`): every publish (a version of any ecosystem, an
//! OCI image manifest) queues a scan in its own transaction; a background worker on any node
//! claims due scans with a lease (the webhook deliveries' pattern: `due` → `claim` → run →
//! `finish`), writes the version's files (or the image's layers) into a temporary
//! directory, runs the scanner there and records its verdict:
//!
//! - exit 0: `passed`; exit 1: `failed` (findings);
//! - any other exit, a signal, a timeout (the scanner's whole process group is killed) or a
//!   failure to materialize the files: the attempt is an error, retried with exponential
//!   backoff until `max_attempts`, then `error`.
//!
//! With `quarantine`, a version is kept from installs until its scan passes: the reads every
//! install goes through (`Packages::load_releases`, `prepare_file`, `prepare_download`, the
//! native version list) leave it out ([`quarantined_ids`]); owners and admins still see it,
//! with its scan, in the native API and the web UI.

use crate::access::{user_may, PackageAction};
use crate::{Ctx, Result, ServiceError, Services};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use trove_core::time::rfc3339;
use trove_core::{now_ms, Digest, ScanStatus};
use trove_db::packages::Package;
use trove_db::scans::{self as repo, Outcome, Scan};
use trove_db::versions::Version;
use trove_db::Conn;

pub use trove_wire::Scan as ScanView;

sub_service!(
    /// Publish-time scans: queueing, results, quarantine, re-runs.
    Scans,
    scans
);

/// How the scanner runs; `ServiceConfig::scan` is `None` when no scanner is configured.
#[derive(Debug, Clone)]
pub struct ScanSettings {
    /// Run with `sh -c`, in the scan's directory.
    pub command: String,
    pub timeout_ms: u64,
    /// Versions stay out of installs until their scan passes.
    pub quarantine: bool,
    /// Attempts before a crashing or hanging scanner's verdict is `error`.
    pub max_attempts: i64,
    /// Scans run at once on this node.
    pub concurrency: usize,
    /// Delay before the first retry; doubled for each further one (at most an hour).
    pub retry_base_ms: u64,
    /// How long a claim outlives the timeout: a node that dies mid-scan releases the scan
    /// when its lease (timeout + this) expires, and another node runs it again.
    pub lease_margin_ms: u64,
}

/// Most bytes of the scanner's output kept (stdout and stderr, interleaved).
pub const OUTPUT_LIMIT: usize = 64 * 1024;
/// Most bytes of findings JSON read.
pub const FINDINGS_LIMIT: u64 = 1024 * 1024;
/// Longest retry delay.
const MAX_BACKOFF_MS: u64 = 3_600_000;

/// Queues a scan of a version in the publishing transaction (when a scanner is configured).
pub(crate) async fn queue_version(
    svc: &Services,
    tx: &mut Conn,
    package_id: i64,
    version_id: i64,
    now: i64,
) -> Result<()> {
    if svc.config.scan.is_some() {
        repo::enqueue_version(tx, package_id, version_id, now).await?;
    }
    Ok(())
}

/// Queues a scan of an OCI image manifest's layers in the pushing transaction.
pub(crate) async fn queue_manifest(
    svc: &Services,
    tx: &mut Conn,
    package_id: i64,
    digest: &str,
    now: i64,
) -> Result<()> {
    if svc.config.scan.is_some() {
        repo::enqueue_manifest(tx, package_id, digest, now).await?;
    }
    Ok(())
}

/// Ids of the package's versions kept from installs: with quarantine on, those whose scan
/// has not passed. Every install-facing read filters with this.
pub(crate) async fn quarantined_ids(svc: &Services, conn: &mut Conn, package_id: i64) -> Result<HashSet<i64>> {
    if !svc.config.scan.as_ref().is_some_and(|s| s.quarantine) {
        return Ok(HashSet::new());
    }
    Ok(repo::for_package(conn, package_id)
        .await?
        .into_iter()
        .filter(|s| s.status != ScanStatus::Passed)
        .filter_map(|s| s.version_id)
        .collect())
}

/// The scans of a package's versions as a reader sees them: which are hidden from them, and
/// the `scan` object of the others.
pub(crate) struct VersionScans {
    scans: HashMap<i64, Scan>,
    quarantine: bool,
    /// Owners, maintainers and admins: see quarantined versions and the scanner's output.
    privileged: bool,
}

impl VersionScans {
    pub(crate) async fn load(svc: &Services, conn: &mut Conn, ctx: &Ctx, pkg: &Package) -> Result<VersionScans> {
        let Some(settings) = &svc.config.scan else {
            return Ok(VersionScans {
                scans: HashMap::new(),
                quarantine: false,
                privileged: false,
            });
        };
        let scans: HashMap<i64, Scan> = repo::for_package(conn, pkg.id)
            .await?
            .into_iter()
            .filter_map(|s| Some((s.version_id?, s)))
            .collect();
        let privileged = match ctx.user() {
            Some(u) if !scans.is_empty() => user_may(conn, u, pkg, PackageAction::Publish).await?,
            _ => false,
        };
        Ok(VersionScans {
            scans,
            quarantine: settings.quarantine,
            privileged,
        })
    }

    fn quarantined(&self, version_id: i64) -> bool {
        self.quarantine
            && self
                .scans
                .get(&version_id)
                .is_some_and(|s| s.status != ScanStatus::Passed)
    }

    /// Whether the reader may not see this version at all.
    pub(crate) fn hidden(&self, v: &Version) -> bool {
        !self.privileged && self.quarantined(v.id)
    }

    /// The version's `scan` object, if it was scanned.
    pub(crate) fn view(&self, v: &Version) -> Option<ScanView> {
        let s = self.scans.get(&v.id)?;
        Some(scan_view(s, self.quarantined(v.id), self.privileged))
    }
}

/// A scan as the API shows it; the scanner's output only to `privileged` readers.
pub(crate) fn scan_view(s: &Scan, quarantined: bool, privileged: bool) -> ScanView {
    ScanView {
        status: s.status.to_string(),
        quarantined,
        attempts: s.attempts,
        exit_code: s.exit_code,
        findings: s.findings.as_deref().and_then(|f| serde_json::from_str(f).ok()),
        output: s.output.clone().filter(|_| privileged),
        error: s.error.clone(),
        created_at: rfc3339(s.created_at),
        started_at: s.started_at.map(rfc3339),
        finished_at: s.finished_at.map(rfc3339),
    }
}

impl Scans<'_> {
    /// Queues a version's scan again from scratch (site admins): after a scanner was fixed or
    /// its rules changed. 404 when the caller cannot see the version, 403 for non-admins, 409
    /// when no scanner is configured.
    pub async fn rerun_scan(
        &self,
        ctx: &Ctx,
        scope: &str,
        name: &str,
        version: &str,
    ) -> Result<crate::views::VersionView> {
        let mut tx = self.db.write().await?;
        let pkg = self.visible_package_any(&mut tx, ctx, scope, name).await?;
        let packages = self.packages().of(pkg.ecosystem);
        let v = packages
            .find_version(&mut tx, pkg.id, &pkg.full_name(), version)
            .await?;
        if VersionScans::load(self, &mut tx, ctx, &pkg).await?.hidden(&v) {
            return Err(ServiceError::not_found(format!(
                "version {version} of `{}` not found",
                pkg.full_name()
            )));
        }
        let p = ctx.require_scope(trove_core::TokenScope::Admin)?;
        if !p.user.admin() {
            return Err(ServiceError::forbidden("only site admins re-run scans"));
        }
        if self.config.scan.is_none() {
            return Err(ServiceError::conflict(
                "scanning_disabled",
                "no scanner is configured ([scan] command)",
            ));
        }
        let now = now_ms();
        repo::enqueue_version(&mut tx, pkg.id, v.id, now).await?;
        crate::audit::record(
            &mut tx,
            ctx,
            "version.scan",
            &format!("{}@{}", pkg.full_name(), v.version),
            Some(pkg.namespace_id),
            serde_json::json!({}),
        )
        .await?;
        let scans = VersionScans::load(self, &mut tx, ctx, &pkg).await?;
        tx.commit().await?;
        self.scan_wake.notify_one();
        let mut view = crate::views::version_view(&pkg, &v);
        view.scan = scans.view(&v);
        Ok(view)
    }
}

/// What a scan looks at, materialized.
struct Target {
    package: String,
    version: String,
    ecosystem: String,
    /// (file name, digest) of each file to write.
    files: Vec<(String, Digest)>,
    /// The file named in `TROVE_SCAN_FILE`.
    primary: String,
}

/// How one run of the scanner ended.
enum Run {
    Exited(Option<i32>, String),
    TimedOut(String),
    /// The node is stopping: the attempt is not recorded (its lease expires and any node
    /// runs it again).
    Interrupted,
}

impl Services {
    /// The scan worker: runs until `stop` changes. Every node may run one.
    pub async fn run_scan_worker(self, mut stop: watch::Receiver<bool>) {
        let Some(settings) = self.config.scan.clone() else {
            return;
        };
        let poll = Duration::from_millis(settings.retry_base_ms.clamp(10, 1000));
        let mut tick = tokio::time::interval(poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = self.scan_wake.notified() => {}
                _ = stop.changed() => break,
            }
            loop {
                if *stop.borrow() {
                    break;
                }
                match self.run_due_scans(&settings, &stop).await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "scan pass failed; will retry");
                        break;
                    }
                }
            }
        }
    }

    /// One pass: claims up to `concurrency` due scans and runs them at once. Returns how many.
    async fn run_due_scans(&self, settings: &ScanSettings, stop: &watch::Receiver<bool>) -> Result<usize> {
        let now = now_ms();
        let due = {
            let mut conn = self.db.conn().await?;
            repo::due(&mut conn, now, settings.concurrency.max(1) as i64).await?
        };
        let lease = now + (settings.timeout_ms + settings.lease_margin_ms) as i64;
        let mut claimed = Vec::new();
        for id in due {
            let mut tx = self.db.write().await?;
            let ok = repo::claim(&mut tx, id, now, lease).await?;
            tx.commit().await?;
            if ok {
                claimed.push(id);
            }
        }
        let n = claimed.len();
        let results = futures::future::join_all(
            claimed
                .into_iter()
                .map(|id| self.attempt_scan(settings, id, now, stop.clone())),
        )
        .await;
        for r in results {
            r?;
        }
        Ok(n)
    }

    async fn attempt_scan(
        &self,
        settings: &ScanSettings,
        id: i64,
        claimed_at: i64,
        stop: watch::Receiver<bool>,
    ) -> Result<()> {
        let Some(scan) = ({
            let mut conn = self.db.conn().await?;
            repo::find(&mut conn, id).await?
        }) else {
            return Ok(());
        };
        let attempt = scan.attempts + 1;
        let started = Instant::now();
        let run = match self.scan_target(&scan).await {
            Ok(Some(target)) => self.scan_once(settings, &target, stop).await,
            // The version or manifest is gone: nothing to scan.
            Ok(None) => Err("the scanned version or manifest no longer exists".to_string()),
            Err(e) => Err(format!("reading what to scan: {e}")),
        };
        let now = now_ms();
        let mut findings = None;
        let (status, exit_code, output, error) = match run {
            Ok((Run::Interrupted, _)) => {
                tracing::info!(
                    scan = id,
                    "scan interrupted by shutdown; another attempt follows its lease"
                );
                return Ok(());
            }
            Ok((Run::Exited(code, output), f)) => match code {
                Some(0) => (ScanStatus::Passed, Some(0), Some(output), None),
                Some(1) => {
                    findings = f;
                    (ScanStatus::Failed, Some(1), Some(output), None)
                }
                Some(c) => (
                    ScanStatus::Error,
                    Some(c as i64),
                    Some(output),
                    Some(format!("the scanner exited with status {c}")),
                ),
                None => (
                    ScanStatus::Error,
                    None,
                    Some(output),
                    Some("the scanner was killed by a signal".to_string()),
                ),
            },
            Ok((Run::TimedOut(output), _)) => (
                ScanStatus::Error,
                None,
                Some(output),
                Some(format!(
                    "the scanner timed out after {} ms; its process group was killed",
                    settings.timeout_ms
                )),
            ),
            Err(e) => (ScanStatus::Error, None, None, Some(e)),
        };
        // An error is retried with backoff until the last attempt.
        let (status, next, finished_at) = if status == ScanStatus::Error && attempt < settings.max_attempts {
            let factor = 1u64 << (attempt - 1).clamp(0, 20);
            let delay = settings.retry_base_ms.saturating_mul(factor).min(MAX_BACKOFF_MS);
            (ScanStatus::Pending, now + delay as i64, None)
        } else {
            (status, now, Some(now))
        };
        let findings_text = findings.map(|f| f.to_string());
        tracing::info!(
            scan = id,
            attempt,
            exit_code,
            error = error.as_deref(),
            duration_ms = started.elapsed().as_millis() as u64,
            outcome = status.as_str(),
            "scan attempt"
        );
        let mut tx = self.db.write().await?;
        let recorded = repo::finish(
            &mut tx,
            id,
            scan.started_at.unwrap_or(claimed_at),
            Outcome {
                attempts: attempt,
                status,
                next_attempt_at: next,
                exit_code,
                findings: findings_text.as_deref(),
                output: output.as_deref(),
                error: error.as_deref(),
                finished_at,
            },
        )
        .await?;
        tx.commit().await?;
        if !recorded {
            tracing::info!(
                scan = id,
                "scan was queued again meanwhile; this attempt's result is dropped"
            );
        }
        Ok(())
    }

    /// The package, version and files a scan looks at; `None` when they are gone.
    async fn scan_target(&self, scan: &Scan) -> Result<Option<Target>> {
        let mut conn = self.db.conn().await?;
        let Some(pkg) = trove_db::packages::find_by_id(&mut conn, scan.package_id).await? else {
            return Ok(None);
        };
        let digest = |s: &str| Digest::parse(s).map_err(|e| ServiceError::internal(e.to_string()));
        if let Some(version_id) = scan.version_id {
            let Some(v) = trove_db::versions::list(&mut conn, pkg.id)
                .await?
                .into_iter()
                .find(|v| v.id == version_id && !v.is_deleted())
            else {
                return Ok(None);
            };
            let mut files = Vec::new();
            let mut primary = None;
            for f in trove_db::version_files::list(&mut conn, v.id).await? {
                if f.digest == v.digest && primary.is_none() {
                    primary = Some(f.filename.clone());
                }
                files.push((f.filename.clone(), digest(&f.digest)?));
            }
            if files.is_empty() {
                // A native version recorded before version files existed.
                let name = crate::packages::archive_file_name(&pkg.scope, &pkg.name, &v.version);
                files.push((name.clone(), digest(&v.digest)?));
                primary = Some(name);
            }
            let primary = primary.unwrap_or_else(|| files[0].0.clone());
            return Ok(Some(Target {
                package: pkg.full_name(),
                version: v.version,
                ecosystem: pkg.ecosystem.to_string(),
                files,
                primary,
            }));
        }
        let Some(m) = scan.manifest_digest.as_deref() else {
            return Ok(None);
        };
        let Some(row) = trove_db::oci_manifests::find(&mut conn, pkg.id, m).await? else {
            return Ok(None);
        };
        drop(conn);
        let body = self.store.get_bytes(&digest(&row.storage_digest)?).await?;
        let doc: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| ServiceError::internal(format!("stored manifest: {e}")))?;
        let mut files = vec![("manifest.json".to_string(), digest(&row.storage_digest)?)];
        for layer in doc["layers"].as_array().into_iter().flatten() {
            let Some(d) = layer["digest"].as_str() else { continue };
            let d = digest(d)?;
            files.push((format!("{}.layer", d.hex()), d));
        }
        Ok(Some(Target {
            package: pkg.full_name(),
            version: m.to_string(),
            ecosystem: pkg.ecosystem.to_string(),
            files,
            primary: "manifest.json".into(),
        }))
    }

    /// Writes the files into a fresh directory and runs the scanner there once. Returns how
    /// it ended with its findings (when it wrote a JSON object to `$TROVE_SCAN_FINDINGS`).
    async fn scan_once(
        &self,
        settings: &ScanSettings,
        target: &Target,
        stop: watch::Receiver<bool>,
    ) -> std::result::Result<(Run, Option<serde_json::Value>), String> {
        let work = tempfile::Builder::new()
            .prefix("trove-scan-")
            .tempdir()
            .map_err(|e| format!("creating the scan directory: {e}"))?;
        let dir = work.path().join("files");
        tokio::fs::create_dir(&dir)
            .await
            .map_err(|e| format!("creating the scan directory: {e}"))?;
        for (name, digest) in &target.files {
            self.materialize(digest, &dir.join(name))
                .await
                .map_err(|e| format!("writing {name}: {e}"))?;
        }
        let findings_path = work.path().join("findings.json");
        let output_path = work.path().join("output");
        let env = vec![
            ("TROVE_SCAN_DIR".to_string(), dir.display().to_string()),
            (
                "TROVE_SCAN_FILE".to_string(),
                dir.join(&target.primary).display().to_string(),
            ),
            ("TROVE_SCAN_FINDINGS".to_string(), findings_path.display().to_string()),
            ("TROVE_PACKAGE".to_string(), target.package.clone()),
            ("TROVE_VERSION".to_string(), target.version.clone()),
            ("TROVE_ECOSYSTEM".to_string(), target.ecosystem.clone()),
        ];
        let command = settings.command.clone();
        let timeout = Duration::from_millis(settings.timeout_ms);
        let run = tokio::task::spawn_blocking(move || run_scanner(&command, &dir, env, &output_path, timeout, stop))
            .await
            .map_err(|e| format!("the scanner's thread failed: {e}"))??;
        let findings = match tokio::fs::metadata(&findings_path).await {
            Ok(m) if m.len() <= FINDINGS_LIMIT => tokio::fs::read(&findings_path)
                .await
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .filter(serde_json::Value::is_object),
            _ => None,
        };
        drop(work);
        Ok((run, findings))
    }

    async fn materialize(&self, digest: &Digest, path: &Path) -> Result<()> {
        use futures::StreamExt;
        let mut read = self.store.get(digest, None).await?;
        let mut file = tokio::fs::File::create(path)
            .await
            .map_err(|e| ServiceError::internal(e.to_string()))?;
        while let Some(chunk) = read.stream.next().await {
            file.write_all(&chunk?)
                .await
                .map_err(|e| ServiceError::internal(e.to_string()))?;
        }
        file.flush().await.map_err(|e| ServiceError::internal(e.to_string()))?;
        Ok(())
    }
}

/// Runs `sh -c command` in `dir` in its own process group, stdout and stderr into
/// `output_path`; kills the whole group on timeout, on shutdown and after it exits (so
/// nothing it started outlives the scan). Blocking: call it on a blocking thread.
fn run_scanner(
    command: &str,
    dir: &Path,
    env: Vec<(String, String)>,
    output_path: &PathBuf,
    timeout: Duration,
    stop: watch::Receiver<bool>,
) -> std::result::Result<Run, String> {
    use std::os::unix::process::CommandExt;
    let out = std::fs::File::create(output_path).map_err(|e| format!("creating the output file: {e}"))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    // The server's own settings (database URL, storage keys) are not the scanner's business.
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("TROVE_") {
            cmd.env_remove(&k);
        }
    }
    cmd.envs(env);
    let mut child = cmd.spawn().map_err(|e| format!("starting the scanner: {e}"))?;
    let pgid = child.id() as libc::pid_t;
    let kill_group = || {
        // SAFETY: kill(2) with a negative pid signals the process group we created.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    };
    let started = Instant::now();
    let result = loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                kill_group();
                break Ok(status.code());
            }
            Ok(None) => {}
            Err(e) => {
                kill_group();
                let _ = child.wait();
                return Err(format!("waiting for the scanner: {e}"));
            }
        }
        if *stop.borrow() {
            kill_group();
            let _ = child.wait();
            return Ok(Run::Interrupted);
        }
        if started.elapsed() >= timeout {
            kill_group();
            let _ = child.wait();
            break Err(());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = read_output(output_path);
    Ok(match result {
        Ok(code) => Run::Exited(code, output),
        Err(()) => Run::TimedOut(output),
    })
}

/// The first [`OUTPUT_LIMIT`] bytes of the output as text (NULs, which PostgreSQL cannot
/// store, become U+FFFD like any unreadable byte).
fn read_output(path: &Path) -> String {
    use std::io::Read;
    let mut buf = Vec::new();
    let total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(OUTPUT_LIMIT as u64).read_to_end(&mut buf);
    }
    let mut text = String::from_utf8_lossy(&buf).replace('\0', "\u{fffd}");
    if total > OUTPUT_LIMIT as u64 {
        text.push_str(&format!("\n… ({} more bytes not kept)", total - OUTPUT_LIMIT as u64));
    }
    text
}
