//! `trove admin backup <dir>` and `trove admin restore <dir>`.
//!
//! Layout of a backup directory:
//!
//! ```text
//! manifest.json                      written last (atomically): what the backup holds, checksums
//! db-<ms>/tables/<table>.jsonl       one JSON array per row, from one consistent snapshot
//! db-<ms>/trove.sqlite               SQLite sources only: the `VACUUM INTO` snapshot itself
//! db-<ms>/blobs.txt                  `sha256:<hex> <size>` of every blob of this backup
//! blobs/sha256/<xx>/<hex>            the blobs, shared by successive backups into the directory
//! ```
//!
//! A new backup into the same directory writes a new `db-<ms>` next to the old one, switches
//! `manifest.json` over and only then removes the old snapshot, so a backup that fails midway
//! leaves the previous one intact. Blobs already in the directory with the right digest are
//! not copied again.

use anyhow::{bail, Context, Result};
use futures::StreamExt;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trove_core::Digest;
use trove_db::backup::{self as dbb, BlobSummary, FileSum, Manifest};
use trove_service::Services;
use trove_storage::{BlobStore, StagedBlob, StorageError};

/// Blobs copied at the same time.
const PARALLEL: usize = 4;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn blob_path(dir: &Path, d: &Digest) -> PathBuf {
    dir.join("blobs").join("sha256").join(&d.hex()[..2]).join(d.hex())
}

/// Copies a local file into a staging file of the store, hashing it on the way.
async fn stage_file(store: &BlobStore, path: &Path) -> Result<StagedBlob> {
    let mut staged = store.stage().await?;
    let mut file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("reading {}", path.display()))?;
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .await
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        staged.write(&buf[..n], u64::MAX).await?;
    }
    staged.finish().await?;
    Ok(staged)
}

/// The sha256 and size of a local file, read in 1 MiB pieces.
async fn hash_file(path: &Path) -> Result<(Digest, u64)> {
    let mut file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1024 * 1024];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .await
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((Digest::from_sha256_bytes(&hasher.finalize()), size))
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename).
async fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = tokio::fs::File::create(&tmp)
        .await
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(bytes).await?;
    f.sync_all().await?;
    drop(f);
    tokio::fs::rename(&tmp, path)
        .await
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn read_manifest(dir: &Path) -> Result<Option<Manifest>> {
    let path = dir.join("manifest.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let m: Manifest =
        serde_json::from_str(&text).with_context(|| format!("{} is not a Trove backup manifest", path.display()))?;
    if m.kind != dbb::MANIFEST_KIND {
        bail!("{} is not a Trove backup manifest", path.display());
    }
    Ok(Some(m))
}

/// A backup goes into a new or empty directory, or over an earlier backup.
fn check_target_dir(dir: &Path) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut foreign = Vec::new();
    for e in entries {
        let name = e?.file_name().to_string_lossy().into_owned();
        let ours = name == "blobs" || name.starts_with("manifest.") || name.starts_with("db-");
        if !ours {
            foreign.push(name);
        }
    }
    if !foreign.is_empty() {
        bail!(
            "{} is not empty and is not a Trove backup (it holds {}); back up into a new or empty directory",
            dir.display(),
            foreign
                .iter()
                .take(3)
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if dir.join("manifest.json").exists() {
        read_manifest(dir)?;
    }
    Ok(())
}

enum Copied {
    New(u64),
    Reused(u64),
    Absent,
    Corrupt(String),
}

/// Copies one blob from the store into the backup directory, verifying its digest.
async fn copy_out(services: Services, dir: PathBuf, d: Digest) -> Result<Copied> {
    let dest = blob_path(&dir, &d);
    if tokio::fs::metadata(&dest).await.is_ok() {
        let (got, size) = hash_file(&dest).await?;
        if got == d {
            return Ok(Copied::Reused(size));
        }
    }
    // Streamed into a temporary file while hashed, so a large layer never sits in memory.
    let read = match services.store.get(&d, None).await {
        Ok(r) => r,
        Err(StorageError::NotFound(_)) => return Ok(Copied::Absent),
        Err(e) => return Err(e).with_context(|| format!("reading blob {d} from storage")),
    };
    let parent = dest.parent().expect("blob paths have a folder");
    tokio::fs::create_dir_all(parent).await?;
    let tmp = dest.with_extension(format!("tmp-{}", std::process::id()));
    let written = async {
        let mut file = tokio::fs::File::create(&tmp)
            .await
            .with_context(|| format!("writing {}", tmp.display()))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut stream = read.stream;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.with_context(|| format!("reading blob {d} from storage"))?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            file.write_all(&chunk).await?;
        }
        file.sync_all().await?;
        anyhow::Ok((Digest::from_sha256_bytes(&hasher.finalize()), size))
    }
    .await;
    let (got, size) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
    };
    if got != d {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Ok(Copied::Corrupt(format!("{d} (storage holds bytes with digest {got})")));
    }
    tokio::fs::rename(&tmp, &dest)
        .await
        .with_context(|| format!("writing {}", dest.display()))?;
    Ok(Copied::New(size))
}

pub async fn backup(services: &Services, dir: &Path, all_blobs: bool, json_out: bool) -> Result<()> {
    let started = Instant::now();
    check_target_dir(dir)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let created_at_ms = now_ms();
    let sub = format!("db-{created_at_ms}");
    let export = dbb::export(&services.db, dir, &sub)
        .await
        .context("exporting the database")?;
    let db_secs = started.elapsed().as_secs_f64();

    // Blobs: what the snapshot needs, what else it names, optionally everything stored.
    let CopiedBlobs {
        mut listed,
        copied,
        reused,
        bytes_copied,
        missing,
    } = copy_blobs(services, dir, &export, all_blobs).await?;
    listed.sort();
    let blob_bytes: u64 = listed.iter().map(|(_, s)| s).sum();
    let list_file = format!("{sub}/blobs.txt");
    let list_text: String = listed.iter().map(|(d, s)| format!("{d} {s}\n")).collect();
    write_atomic(&dir.join(&list_file), list_text.as_bytes()).await?;

    // Checksums of every file of the snapshot.
    let mut rel: Vec<String> = export.dump.tables.iter().map(|t| t.file.clone()).collect();
    rel.extend(export.dump.sqlite_snapshot.clone());
    rel.push(list_file.clone());
    let mut files = Vec::new();
    for r in rel {
        let (d, bytes) = hash_file(&dir.join(&r)).await?;
        files.push(FileSum {
            path: r,
            sha256: d.to_string(),
            bytes,
        });
    }
    let manifest = Manifest {
        kind: dbb::MANIFEST_KIND.into(),
        format: dbb::FORMAT_VERSION,
        trove_version: env!("CARGO_PKG_VERSION").into(),
        created_at: trove_core::time::rfc3339_secs(created_at_ms),
        created_at_ms,
        duration_secs: started.elapsed().as_secs_f64(),
        database: export.dump,
        blobs: BlobSummary {
            count: listed.len() as u64,
            bytes: blob_bytes,
            list: list_file,
            missing: missing.clone(),
        },
        files,
    };
    write_atomic(&dir.join("manifest.json"), &serde_json::to_vec_pretty(&manifest)?).await?;
    // The new manifest is in place: older snapshots can go.
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("db-") && name != sub {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    let rows: u64 = manifest.database.tables.iter().map(|t| t.rows).sum();
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "dir": dir.display().to_string(),
                "backend": manifest.database.backend,
                "migration_version": manifest.database.migration_version,
                "tables": manifest.database.tables.len(),
                "rows": rows,
                "blobs": manifest.blobs.count,
                "blob_bytes": manifest.blobs.bytes,
                "blobs_copied": copied,
                "blobs_reused": reused,
                "bytes_copied": bytes_copied,
                "missing_blobs": missing,
                "seconds": manifest.duration_secs,
            }))?
        );
    } else {
        println!("backup written to {}", dir.display());
        println!(
            "  database: {} snapshot, schema version {}, {} tables, {rows} rows ({db_secs:.1}s)",
            manifest.database.backend,
            manifest.database.migration_version,
            manifest.database.tables.len()
        );
        println!(
            "  blobs: {} ({} bytes): {copied} copied ({bytes_copied} bytes), {reused} already in the backup",
            manifest.blobs.count, manifest.blobs.bytes
        );
        println!("  took {:.1}s", manifest.duration_secs);
    }
    if !missing.is_empty() {
        bail!(
            "{} blob(s) the database references are missing from storage ({}); they are listed in \
             manifest.json (blobs.missing), everything else was backed up",
            missing.len(),
            missing.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}

/// What copying the blobs of a snapshot did.
struct CopiedBlobs {
    /// Every blob now in the backup, with its size.
    listed: Vec<(String, u64)>,
    copied: u64,
    reused: u64,
    bytes_copied: u64,
    /// Blobs the snapshot needs that storage lacks.
    missing: Vec<String>,
}

/// Copies the blobs the snapshot references (and with `all_blobs` every stored one) into the
/// backup, in parallel, each checked against its digest; a corrupt blob fails the backup.
async fn copy_blobs(
    services: &Services,
    dir: &Path,
    export: &dbb::Export,
    all_blobs: bool,
) -> anyhow::Result<CopiedBlobs> {
    let mut wanted: BTreeMap<String, bool> = BTreeMap::new();
    for d in &export.other_digests {
        wanted.insert(d.clone(), false);
    }
    if all_blobs {
        for (d, _) in services.store.list().await.context("listing the blob store")? {
            if d.algorithm() == trove_core::digest::Algorithm::Sha256 {
                wanted.insert(d.to_string(), false);
            }
        }
    }
    for d in &export.required_blobs {
        wanted.insert(d.clone(), true);
    }
    let mut tasks = tokio::task::JoinSet::new();
    let mut listed: Vec<(String, u64)> = Vec::new();
    let (mut copied, mut reused, mut bytes_copied) = (0u64, 0u64, 0u64);
    let mut missing = Vec::new();
    let mut corrupt = Vec::new();
    let mut queue = wanted.into_iter();
    loop {
        while tasks.len() < PARALLEL {
            let Some((d, required)) = queue.next() else { break };
            let digest = Digest::parse(&d)?;
            let (s, dir) = (services.clone(), dir.to_path_buf());
            tasks.spawn(async move { (d, required, copy_out(s, dir, digest).await) });
        }
        let Some(done) = tasks.join_next().await else { break };
        let (d, required, res) = done?;
        match res? {
            Copied::New(size) => {
                copied += 1;
                bytes_copied += size;
                listed.push((d, size));
            }
            Copied::Reused(size) => {
                reused += 1;
                listed.push((d, size));
            }
            Copied::Absent if required => missing.push(d),
            Copied::Absent => {}
            Copied::Corrupt(what) => corrupt.push(what),
        }
    }
    if !corrupt.is_empty() {
        bail!(
            "{} blob(s) in storage do not match their digest: {}; the previous backup in {} is unchanged",
            corrupt.len(),
            corrupt.join(", "),
            dir.display()
        );
    }
    Ok(CopiedBlobs {
        listed,
        copied,
        reused,
        bytes_copied,
        missing,
    })
}

/// Checks every file and blob of a backup against its manifest (paths, presence, sha256 and
/// size) before anything is restored; returns the blobs to store.
async fn verify_backup(dir: &Path, m: &Manifest) -> anyhow::Result<Vec<(Digest, u64)>> {
    let refuse = |what: String| anyhow::anyhow!("{what}; the backup is damaged, nothing was restored");
    for f in &m.files {
        if f.path.split('/').any(|p| p == ".." || p.is_empty()) {
            return Err(refuse(format!("manifest.json names an invalid path `{}`", f.path)));
        }
        let path = dir.join(&f.path);
        if !path.is_file() {
            return Err(refuse(format!("{} is missing", path.display())));
        }
        let (d, bytes) = hash_file(&path).await?;
        if d.to_string() != f.sha256 || bytes != f.bytes {
            return Err(refuse(format!(
                "{} is corrupt: sha256 {d} ({bytes} bytes) where the manifest says {} ({} bytes)",
                path.display(),
                f.sha256,
                f.bytes
            )));
        }
    }
    let verified = |p: &str| m.files.iter().any(|f| f.path == p);
    for t in &m.database.tables {
        if !verified(&t.file) {
            return Err(refuse(format!(
                "table file {} has no checksum in manifest.json",
                t.file
            )));
        }
    }
    if !verified(&m.blobs.list) {
        return Err(refuse(format!(
            "blob list {} has no checksum in manifest.json",
            m.blobs.list
        )));
    }
    let list = std::fs::read_to_string(dir.join(&m.blobs.list))?;
    let mut blobs = Vec::new();
    for line in list.lines().filter(|l| !l.is_empty()) {
        let (d, size) = line
            .split_once(' ')
            .with_context(|| format!("bad line in {}: {line}", m.blobs.list))?;
        let d = Digest::parse(d)?;
        let size: u64 = size
            .parse()
            .with_context(|| format!("bad line in {}: {line}", m.blobs.list))?;
        blobs.push((d, size));
    }
    for (d, size) in &blobs {
        let path = blob_path(dir, d);
        if !path.is_file() {
            return Err(refuse(format!("blob {d} is missing ({})", path.display())));
        }
        let (got, bytes) = hash_file(&path).await?;
        if &got != d || bytes != *size {
            return Err(refuse(format!(
                "blob file {} is corrupt: its sha256 is {got} ({bytes} bytes)",
                path.display()
            )));
        }
    }
    Ok(blobs)
}

pub async fn restore(services: &Services, dir: &Path, force: bool, json_out: bool) -> Result<()> {
    let started = Instant::now();
    let m =
        read_manifest(dir)?.with_context(|| format!("{} holds no manifest.json: not a Trove backup", dir.display()))?;
    if m.format > dbb::FORMAT_VERSION {
        bail!(
            "the backup was written by trove {} in backup format {}, which this trove ({}) does not know; \
             restore it with that version or a newer one",
            m.trove_version,
            m.format,
            env!("CARGO_PKG_VERSION")
        );
    }
    // 1. Every file is what the manifest says, before anything changes.
    let blobs = verify_backup(dir, &m).await?;
    // 2. The target: same schema, and empty unless --force.
    dbb::check_compatible(&services.db, &m.database)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_start_matches("stored data is corrupt: ")))?;
    let full = dbb::non_empty_tables(&services.db).await?;
    if !full.is_empty() && !force {
        bail!(
            "the target database is not empty ({}); restore into an empty database, or pass --force to \
             replace its contents",
            full.iter()
                .take(5)
                .map(|(t, n)| format!("{t}: {n} rows"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // 3. Blobs first (content-addressed: extra ones are harmless), then the database at once.
    let (mut stored, mut present, mut bytes_stored) = (0u64, 0u64, 0u64);
    for (d, size) in &blobs {
        if services.store.size(d).await? == Some(*size) {
            present += 1;
            continue;
        }
        let staged = stage_file(&services.store, &blob_path(dir, d)).await?;
        if staged.digest().as_ref() != Some(d) {
            bail!("blob {d} changed while it was restored; nothing was written to the database");
        }
        services
            .store
            .commit(&staged)
            .await
            .with_context(|| format!("storing blob {d}"))?;
        stored += 1;
        bytes_stored += size;
    }
    let imported = dbb::import(&services.db, dir, &m.database)
        .await
        .context("importing the database (rolled back)")?;
    let rows: u64 = imported.iter().map(|(_, n)| n).sum();
    // Running servers rebuild their search index from the restored data.
    let _ = services.search_index.request_reindex().await;
    let secs = started.elapsed().as_secs_f64();
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "dir": dir.display().to_string(),
                "backup_created_at": m.created_at,
                "source_backend": m.database.backend,
                "target_backend": services.db.backend().name(),
                "tables": imported.iter().map(|(t, n)| (t.clone(), *n)).collect::<BTreeMap<_, _>>(),
                "rows": rows,
                "blobs": blobs.len(),
                "blobs_stored": stored,
                "blobs_present": present,
                "bytes_stored": bytes_stored,
                "replaced_existing_data": !full.is_empty(),
                "seconds": secs,
            }))?
        );
    } else {
        println!(
            "restored the backup of {} (trove {}, {}) from {}",
            m.created_at,
            m.trove_version,
            m.database.backend,
            dir.display()
        );
        if !full.is_empty() {
            println!("  replaced the previous contents of the database (--force)");
        }
        println!(
            "  database ({}): {} tables, {rows} rows",
            services.db.backend().name(),
            imported.len()
        );
        println!(
            "  blobs ({}): {} checked, {stored} stored ({bytes_stored} bytes), {present} already there",
            services.store.describe(),
            blobs.len()
        );
        println!("  took {secs:.1}s; start the server on this configuration");
    }
    if !m.blobs.missing.is_empty() {
        eprintln!(
            "warning: {} blob(s) the database references were already missing from storage when the backup \
             was taken (manifest.json blobs.missing); what refers to them cannot be downloaded",
            m.blobs.missing.len()
        );
    }
    Ok(())
}
