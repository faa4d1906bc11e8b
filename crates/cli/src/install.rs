//! `trove install`: resolve the project's dependency graph, download what is missing in
//! parallel, verify every archive's sha256 against the registry (and the lock file),
//! re-validate it with the registry's own archive rules, and extract it into
//! `trove_packages/<scope>/<name>/` without ever writing outside that folder.
//!
//! Nothing is extracted and the lock file is not written unless every download verified.

use crate::lockfile::{LockedPackage, Lockfile};
use crate::output::{human_bytes, Out, Progress};
use crate::project::{Project, PACKAGES_DIR};
use crate::resolve::{self, Candidate, Dep, Index};
use anyhow::{bail, Context};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::time::Instant;
use trove_client::Client;
use trove_core::name::normalize;

/// Downloads running at once.
const PARALLEL_DOWNLOADS: usize = 6;
/// Remembers what is extracted where, so unchanged packages are not fetched again.
const STATE_FILE: &str = ".trove-state.json";

#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Fail if the lock file would change.
    pub locked: bool,
    /// Re-resolve these packages (normalized names) ignoring the lock; `Some(empty)` = all.
    pub update: Option<Vec<String>>,
}

/// What the registry says about one version (beyond what the resolver needs).
#[derive(Debug, Clone)]
struct VersionInfo {
    digest: String,
    size: u64,
    deprecated: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct InstallState {
    /// Normalized name → what is in its folder.
    packages: BTreeMap<String, StateEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StateEntry {
    name: String,
    version: String,
    digest: String,
}

#[derive(Debug, Serialize)]
pub struct InstalledPackage {
    pub name: String,
    pub version: String,
    pub digest: String,
    pub yanked: bool,
    /// False when the folder already held this exact archive.
    pub downloaded: bool,
    pub path: String,
}

#[derive(Debug, Serialize)]
pub struct InstallReport {
    pub packages: Vec<InstalledPackage>,
    pub removed: Vec<String>,
    pub lock_changed: bool,
    pub lock_diff: Vec<String>,
    pub downloaded: usize,
    pub downloaded_bytes: u64,
    pub elapsed_ms: u128,
}

/// Fetches the versions of every package reachable from `roots`, breadth first, several at once.
async fn fetch_index(
    client: &Client,
    roots: &[Dep],
    locked: &BTreeMap<String, semver::Version>,
) -> anyhow::Result<(Index, BTreeMap<(String, String), VersionInfo>)> {
    let mut index = Index::default();
    let mut infos = BTreeMap::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut frontier: Vec<String> = Vec::new();
    for d in roots {
        if seen.insert(normalize(&d.name)) {
            frontier.push(d.name.clone());
        }
    }
    while !frontier.is_empty() {
        let batch = std::mem::take(&mut frontier);
        let results: Vec<_> = futures::stream::iter(batch)
            .map(|name| async move {
                let r = client.list_versions(&name).await;
                (name, r)
            })
            .buffer_unordered(PARALLEL_DOWNLOADS * 2)
            .collect()
            .await;
        for (name, res) in results {
            let versions = match res {
                Ok(v) => v,
                Err(e) if e.is_not_found() => continue, // the resolver explains it
                Err(e) => return Err(crate::client_error(e)).context(format!("fetching the versions of `{name}`")),
            };
            let norm = normalize(&name);
            let display = versions.first().map(|v| v.package.clone()).unwrap_or(name.clone());
            let mut cands = Vec::new();
            for v in versions {
                // Quarantined until its scan passes (only its owners see it listed).
                if v.scan.as_ref().is_some_and(|s| s.quarantined) {
                    continue;
                }
                let Ok(version) = semver::Version::parse(&v.version) else {
                    continue;
                };
                let pinned = locked.get(&norm) == Some(&version);
                let mut deps = Vec::new();
                for (dn, req) in &v.dependencies {
                    // A dependency we cannot parse makes that version unusable, not the install.
                    match Dep::parse(dn, req) {
                        Ok(d) => deps.push(d),
                        Err(_) => continue,
                    }
                }
                if !v.yanked || pinned {
                    for d in &deps {
                        if seen.insert(normalize(&d.name)) {
                            frontier.push(d.name.clone());
                        }
                    }
                }
                infos.insert(
                    (norm.clone(), version.to_string()),
                    VersionInfo {
                        digest: v.digest.clone(),
                        size: v.size.max(0) as u64,
                        deprecated: v.deprecated.clone(),
                    },
                );
                cands.push(Candidate {
                    version,
                    yanked: v.yanked,
                    deps,
                });
            }
            index.insert(&display, cands);
        }
    }
    Ok((index, infos))
}

/// Where a package goes: `trove_packages/<scope>/<name>`, from a validated name only.
fn package_dir(root: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let (scope, pkg) = trove_core::name::parse_full(name).map_err(|e| anyhow::anyhow!("`{name}`: {e}"))?;
    Ok(root.join(scope.as_str()).join(pkg.as_str()))
}

fn sha256_digest(hasher: Sha256) -> String {
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

/// Downloads one archive into `dest` while hashing it; fails on a digest mismatch.
async fn download_one(
    client: &Client,
    p: &LockedPackage,
    expected_size: u64,
    dest: &Path,
    progress: &Progress,
) -> anyhow::Result<u64> {
    if !p.digest.starts_with("sha256:") {
        bail!("`{}` {}: unsupported digest `{}`", p.name, p.version, p.digest);
    }
    let mut dl = client
        .download(&p.name, &p.version)
        .await
        .map_err(crate::client_error)
        .with_context(|| format!("downloading `{}` {}", p.name, p.version))?;
    let mut file = std::fs::File::create(dest).with_context(|| format!("creating {}", dest.display()))?;
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    while let Some(chunk) = dl
        .chunk()
        .await
        .map_err(crate::client_error)
        .with_context(|| format!("downloading `{}` {}", p.name, p.version))?
    {
        // A registry that announced no size still may not fill the disk.
        let limit = if expected_size > 0 { expected_size } else { 1 << 30 };
        if total + chunk.len() as u64 > limit {
            bail!(
                "`{}` {}: the registry sent more than the {limit} bytes it announced; nothing was installed",
                p.name,
                p.version
            );
        }
        hasher.update(&chunk);
        file.write_all(&chunk)
            .with_context(|| format!("writing {}", dest.display()))?;
        total += chunk.len() as u64;
        progress.add(chunk.len() as u64);
    }
    file.sync_all().ok();
    let got = sha256_digest(hasher);
    if got != p.digest {
        bail!(
            "digest mismatch for `{}` {}: expected {} but the download is {}; the archive was altered in storage or on the way, so nothing was installed",
            p.name,
            p.version,
            p.digest,
            got
        );
    }
    progress.item_done();
    Ok(total)
}

/// Checks one path inside an archive and returns it relative, or refuses it.
fn safe_relative(raw: &[u8]) -> anyhow::Result<Option<PathBuf>> {
    let s = std::str::from_utf8(raw).map_err(|_| anyhow::anyhow!("a path in the archive is not UTF-8"))?;
    if s.starts_with('/') || s.contains('\\') || s.chars().any(char::is_control) {
        bail!("refusing the archive path `{s}`");
    }
    let mut out = PathBuf::new();
    for c in Path::new(s).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => bail!("refusing the archive path `{s}`"),
        }
    }
    Ok((!out.as_os_str().is_empty()).then_some(out))
}

/// Refuses to write through a symlink: every existing ancestor of `rel` under `root` must be
/// a real directory.
fn check_no_symlink_parents(root: &Path, rel: &Path) -> anyhow::Result<()> {
    let mut cur = root.to_path_buf();
    if let Some(parent) = rel.parent() {
        for c in parent.components() {
            cur.push(c);
            match std::fs::symlink_metadata(&cur) {
                Ok(m) if m.file_type().is_symlink() => {
                    bail!("refusing to write beneath the symlink `{}`", cur.display())
                }
                Ok(m) if !m.is_dir() => bail!("`{}` is not a directory", cur.display()),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Extracts an already validated archive into the empty directory `dest`.
fn extract(archive: &Path, dest: &Path) -> anyhow::Result<()> {
    use tar::EntryType;
    let file = std::fs::File::open(archive)?;
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    for entry in ar.entries()? {
        let mut entry = entry?;
        let ty = entry.header().entry_type();
        if matches!(ty, EntryType::XGlobalHeader | EntryType::XHeader) {
            continue;
        }
        let Some(rel) = safe_relative(&entry.path_bytes())? else {
            continue;
        };
        check_no_symlink_parents(dest, &rel)?;
        let target = dest.join(&rel);
        match ty {
            EntryType::Directory => std::fs::create_dir_all(&target)?,
            EntryType::Regular | EntryType::Continuous => {
                if let Some(p) = target.parent() {
                    std::fs::create_dir_all(p)?;
                }
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    let exec = entry.header().mode().unwrap_or(0o644) & 0o111 != 0;
                    opts.mode(if exec { 0o755 } else { 0o644 });
                }
                let mut f = opts
                    .open(&target)
                    .with_context(|| format!("creating {}", target.display()))?;
                std::io::copy(&mut entry, &mut f)?;
            }
            EntryType::Symlink => {
                // inspect() already refused links that could leave the package folder.
                let link = entry
                    .link_name()?
                    .ok_or_else(|| anyhow::anyhow!("symlink without a target"))?
                    .into_owned();
                if let Some(p) = target.parent() {
                    std::fs::create_dir_all(p)?;
                }
                #[cfg(unix)]
                std::os::unix::fs::symlink(&link, &target)?;
                #[cfg(not(unix))]
                let _ = link;
            }
            other => bail!("refusing an archive entry of type {other:?}"),
        }
    }
    Ok(())
}

fn load_state(root: &Path) -> InstallState {
    std::fs::read(root.join(STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save_state(root: &Path, state: &InstallState) -> anyhow::Result<()> {
    std::fs::create_dir_all(root)?;
    std::fs::write(root.join(STATE_FILE), serde_json::to_vec_pretty(state)?)?;
    Ok(())
}

/// Resolves, downloads, verifies and extracts; writes `trove.lock`.
pub async fn install(
    client: &Client,
    project: &Project,
    opts: &InstallOptions,
    out: &Out,
) -> anyhow::Result<InstallReport> {
    let started = Instant::now();
    let roots: Vec<Dep> = project
        .manifest
        .dependencies
        .iter()
        .map(|(n, r)| Dep::parse(n, r).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<_>>()?;
    let old_lock = Lockfile::read(&project.dir)?;
    let old_by_name: BTreeMap<String, LockedPackage> = old_lock
        .as_ref()
        .map(|l| l.by_name().into_iter().map(|(k, v)| (k, v.clone())).collect())
        .unwrap_or_default();
    let prefs = lock_preferences(&old_by_name, opts);

    out.status(format!("Resolving dependencies of {}", project.manifest.package.name));
    let (index, infos) = fetch_index(client, &roots, &prefs).await?;
    let resolution = resolve::resolve(&index, &roots, &prefs).map_err(|e| {
        anyhow::anyhow!(
            "cannot resolve the dependencies of {}:\n{e}",
            project.manifest.package.name
        )
    })?;

    // The new lock, checked against the old one for silently changed archives.
    let (new_lock, yanked) = build_lock(&resolution, &infos, &old_by_name, out)?;
    let lock_diff = match &old_lock {
        Some(old) => old.diff(&new_lock),
        None => new_lock
            .packages
            .iter()
            .map(|p| format!("+ {} {}", p.name, p.version))
            .collect(),
    };
    let lock_changed = old_lock.as_ref().is_none_or(|old| !old.same_as(&new_lock));
    if opts.locked && lock_changed {
        let what = if old_lock.is_none() {
            "there is no trove.lock".to_string()
        } else {
            format!("trove.lock would change:\n  {}", lock_diff.join("\n  "))
        };
        bail!("--locked was given but {what}\nrun `trove install` without --locked to update it");
    }
    crate::audit::warn_installed(client, &new_lock, out).await;

    // Download what the folder does not already hold.
    let root = project.dir.join(PACKAGES_DIR);
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let mut state = load_state(&root);
    let mut todo: Vec<LockedPackage> = Vec::new();
    for p in &new_lock.packages {
        let norm = normalize(&p.name);
        let present =
            state.packages.get(&norm).is_some_and(|s| s.digest == p.digest) && package_dir(&root, &p.name)?.is_dir();
        if !present {
            todo.push(p.clone());
        }
    }
    let work = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(&root)
        .context("creating a temporary folder")?;
    let (downloaded, downloaded_bytes) = download_all(client, &todo, &infos, work.path(), out).await?;

    // Re-validate every archive with the registry's rules before anything is extracted.
    verify_archives(&downloaded)?;

    // Extract each into the work folder, then swap it into place.
    extract_all(&downloaded, work.path(), &root, &mut state)?;

    // Remove packages the project no longer uses (only folders this tool created).
    let removed = remove_unused(&mut state, &new_lock, &root)?;
    save_state(&root, &state)?;
    drop(work);
    if lock_changed {
        new_lock.write(&project.dir)?;
    }

    let fetched: BTreeSet<String> = downloaded.iter().map(|(p, _)| normalize(&p.name)).collect();
    let packages = new_lock
        .packages
        .iter()
        .map(|p| {
            let norm = normalize(&p.name);
            InstalledPackage {
                name: p.name.clone(),
                version: p.version.clone(),
                digest: p.digest.clone(),
                yanked: yanked.contains(&norm),
                downloaded: fetched.contains(&norm),
                path: package_dir(Path::new(PACKAGES_DIR), &p.name)
                    .map(|d| d.display().to_string())
                    .unwrap_or_default(),
            }
        })
        .collect();
    Ok(InstallReport {
        packages,
        removed,
        lock_changed,
        lock_diff,
        downloaded: downloaded.len(),
        downloaded_bytes,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

/// Downloads `todo` into `work` (in parallel, sha256 checked against the lock, with a
/// progress bar); returns the archives and the bytes fetched.
async fn download_all(
    client: &Client,
    todo: &[LockedPackage],
    infos: &BTreeMap<(String, String), VersionInfo>,
    work: &Path,
    out: &Out,
) -> anyhow::Result<(Vec<(LockedPackage, PathBuf)>, u64)> {
    let size_of = |p: &LockedPackage| {
        infos
            .get(&(normalize(&p.name), p.version.clone()))
            .map_or(0, |i| i.size)
    };
    let total: u64 = todo.iter().map(size_of).sum();
    let progress = Progress::new(out, "Downloading", total, todo.len() as u64);
    if !todo.is_empty() {
        out.status(format!("Downloading {} package(s), {}", todo.len(), human_bytes(total)));
    }
    let progress_ref = &progress;
    let work_path = work.to_path_buf();
    let results: Vec<anyhow::Result<(LockedPackage, PathBuf, u64)>> = futures::stream::iter(todo.iter().enumerate())
        .map(|(i, p)| {
            let dest = work_path.join(format!("{i}.tar.gz"));
            async move {
                let n = download_one(client, p, size_of(p), &dest, progress_ref).await?;
                Ok((p.clone(), dest, n))
            }
        })
        .buffer_unordered(PARALLEL_DOWNLOADS)
        .collect()
        .await;
    progress.finish();
    let mut downloaded = Vec::new();
    let mut downloaded_bytes = 0;
    for r in results {
        let (p, path, n) = r?;
        downloaded_bytes += n;
        downloaded.push((p, path));
    }
    Ok((downloaded, downloaded_bytes))
}

/// Versions the lock file pins that the install should keep (all of them, except the
/// packages named by `trove update`, or every one for a bare `trove update`).
fn lock_preferences(
    old_by_name: &BTreeMap<String, LockedPackage>,
    opts: &InstallOptions,
) -> BTreeMap<String, semver::Version> {
    let mut prefs = BTreeMap::new();
    for (norm, p) in old_by_name {
        let unlocked = match &opts.update {
            Some(list) if list.is_empty() => true,
            Some(list) => list.iter().any(|n| normalize(n) == *norm),
            None => false,
        };
        if !unlocked {
            if let Ok(v) = semver::Version::parse(&p.version) {
                prefs.insert(norm.clone(), v);
            }
        }
    }
    prefs
}

/// The lock file of a resolution, refusing an archive whose digest changed since the old
/// lock; warns about yanked and deprecated versions. Returns the lock and the yanked names.
fn build_lock(
    resolution: &resolve::Resolution,
    infos: &BTreeMap<(String, String), VersionInfo>,
    old_by_name: &BTreeMap<String, LockedPackage>,
    out: &Out,
) -> anyhow::Result<(Lockfile, BTreeSet<String>)> {
    let mut new_lock = Lockfile::default();
    let mut yanked = BTreeSet::new();
    for (norm, r) in resolution {
        let info = infos
            .get(&(norm.clone(), r.version.to_string()))
            .context("the registry's version list changed during the install; try again")?;
        if let Some(old) = old_by_name.get(norm).filter(|o| o.version == r.version.to_string()) {
            if old.digest != info.digest {
                bail!(
                    "the registry now reports digest {} for `{}` {}, but trove.lock recorded {}; a published version must never change, so this install stops",
                    info.digest,
                    r.name,
                    r.version,
                    old.digest
                );
            }
        }
        if r.yanked {
            yanked.insert(norm.clone());
            out.warn(format!(
                "`{}` {} is yanked; trove.lock keeps it. Run `trove update {}` to move to a non-yanked version",
                r.name, r.version, r.name
            ));
        }
        if let Some(msg) = &info.deprecated {
            out.warn(format!("`{}` {} is deprecated: {msg}", r.name, r.version));
        }
        let deps: Vec<String> = r
            .deps
            .iter()
            .filter_map(|d| resolution.get(d).map(|x| format!("{} {}", x.name, x.version)))
            .collect();
        new_lock.packages.push(LockedPackage {
            name: r.name.clone(),
            version: r.version.to_string(),
            digest: info.digest.clone(),
            dependencies: deps,
        });
    }
    Ok((new_lock, yanked))
}

/// Every downloaded archive passes the registry's archive rules and holds the manifest of the
/// package and version it was downloaded as.
fn verify_archives(downloaded: &[(LockedPackage, PathBuf)]) -> anyhow::Result<()> {
    let limits = trove_tarball::Limits::default();
    for (p, path) in downloaded {
        let f = std::fs::File::open(path)?;
        let info = trove_tarball::inspect(std::io::BufReader::new(f), &limits)
            .map_err(|e| anyhow::anyhow!("`{}` {} is not a safe archive: {e}", p.name, p.version))?;
        let m = &info.manifest;
        if normalize(&m.package.name) != normalize(&p.name) || m.package.version != p.version {
            bail!(
                "the archive of `{}` {} contains the manifest of `{}` {}; nothing was installed",
                p.name,
                p.version,
                m.package.name,
                m.package.version
            );
        }
    }
    Ok(())
}

/// Extracts each archive into the work folder, then swaps it into place and records it.
fn extract_all(
    downloaded: &[(LockedPackage, PathBuf)],
    work: &Path,
    root: &Path,
    state: &mut InstallState,
) -> anyhow::Result<()> {
    for (i, (p, path)) in downloaded.iter().enumerate() {
        let staged = work.join(format!("{i}.d"));
        std::fs::create_dir(&staged)?;
        extract(path, &staged).with_context(|| format!("extracting `{}` {}", p.name, p.version))?;
        let dir = package_dir(root, &p.name)?;
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if std::fs::symlink_metadata(&dir).is_ok() {
            remove_path(&dir)?;
        }
        std::fs::rename(&staged, &dir).with_context(|| format!("moving into {}", dir.display()))?;
        state.packages.insert(
            normalize(&p.name),
            StateEntry {
                name: p.name.clone(),
                version: p.version.clone(),
                digest: p.digest.clone(),
            },
        );
    }
    Ok(())
}

/// Removes the folders of packages the lock no longer has (only those this tool created);
/// returns them as `name version`.
fn remove_unused(state: &mut InstallState, new_lock: &Lockfile, root: &Path) -> anyhow::Result<Vec<String>> {
    let wanted: BTreeSet<String> = new_lock.packages.iter().map(|p| normalize(&p.name)).collect();
    let mut removed = Vec::new();
    let stale: Vec<String> = state
        .packages
        .keys()
        .filter(|k| !wanted.contains(*k))
        .cloned()
        .collect();
    for k in stale {
        if let Some(entry) = state.packages.remove(&k) {
            if let Ok(dir) = package_dir(root, &entry.name) {
                if std::fs::symlink_metadata(&dir).is_ok() {
                    remove_path(&dir)?;
                }
                if let Some(parent) = dir.parent() {
                    let _ = std::fs::remove_dir(parent); // only when empty
                }
            }
            removed.push(format!("{} {}", entry.name, entry.version));
        }
    }
    Ok(removed)
}

fn remove_path(p: &Path) -> anyhow::Result<()> {
    let meta = std::fs::symlink_metadata(p)?;
    if meta.is_dir() {
        std::fs::remove_dir_all(p)
    } else {
        std::fs::remove_file(p)
    }
    .with_context(|| format!("removing {}", p.display()))
}

/// The human summary of an install.
pub fn summary(r: &InstallReport) -> String {
    let mut s = String::new();
    for p in &r.packages {
        let mark = if p.downloaded { "+" } else { "=" };
        let y = if p.yanked { " (yanked)" } else { "" };
        s += &format!("{mark} {} {}{y}\n", p.name, p.version);
    }
    for p in &r.removed {
        s += &format!("- {p}\n");
    }
    s += &format!(
        "Installed {} package(s) into {PACKAGES_DIR}/ ({} downloaded, {}) in {:.2}s{}",
        r.packages.len(),
        r.downloaded,
        human_bytes(r.downloaded_bytes),
        r.elapsed_ms as f64 / 1000.0,
        if r.lock_changed { "; trove.lock updated" } else { "" }
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_paths_stay_inside() {
        assert_eq!(safe_relative(b"./a/b").unwrap(), Some(PathBuf::from("a/b")));
        assert_eq!(safe_relative(b"./").unwrap(), None);
        assert!(safe_relative(b"../x").is_err());
        assert!(safe_relative(b"a/../../x").is_err());
        assert!(safe_relative(b"/etc/passwd").is_err());
        assert!(safe_relative(b"a\\..\\b").is_err());
        assert!(safe_relative(b"\xff").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn never_writes_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        assert!(check_no_symlink_parents(dir.path(), Path::new("link/file")).is_err());
        assert!(check_no_symlink_parents(dir.path(), Path::new("ok/file")).is_ok());
        // Even an archive that slipped past validation cannot use it.
        let gz = trove_tarball::ArchiveBuilder::new()
            .file("trove.toml", b"x")
            .file("link/evil", b"owned")
            .finish();
        let path = dir.path().join("a.tar.gz");
        std::fs::write(&path, gz).unwrap();
        assert!(extract(&path, dir.path()).is_err());
        assert!(!outside.path().join("evil").exists());
    }

    #[test]
    fn extracts_files_and_modes() {
        let gz = trove_tarball::ArchiveBuilder::new()
            .file("trove.toml", b"[package]\n")
            .dir("src")
            .file("src/lib.txt", b"hello")
            .finish();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tar.gz");
        std::fs::write(&path, gz).unwrap();
        let dest = dir.path().join("out");
        std::fs::create_dir(&dest).unwrap();
        extract(&path, &dest).unwrap();
        assert_eq!(std::fs::read_to_string(dest.join("src/lib.txt")).unwrap(), "hello");
    }
}
