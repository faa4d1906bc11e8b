//! Package search, categories and the package lists of the explore page, answered from an
//! index (`trove-search`: tantivy on local disk) that every server node keeps for itself
//! under `{data_dir}/search`.
//!
//! On disk: `CURRENT` names the directory of the index in use (`index-…`); a rebuild writes
//! a new directory and switches `CURRENT` only once it is complete, so a crash leaves the
//! old index usable. Each commit stores this node's sync state with the documents (the
//! reindex generation, how far changes were read, rows seen but not listed), so a restart
//! opens the index, is ready at once, and reads only what changed since: the server does
//! not rebuild at every start. A node that finds the directory locked by another process
//! on the same data directory keeps its index in memory instead.
//!
//! Keeping it in step with the database:
//! - the use cases that change a package (publish, yank, delete, visibility) refresh it in
//!   this node's index right after their transaction commits;
//! - every [`SYNC_INTERVAL`] each node re-reads packages whose `updated_at` is recent (with a
//!   [`LAG_MARGIN_MS`] margin, as a transaction may commit a while after taking its
//!   timestamp), so changes made through other nodes show up within about a second;
//! - every [`RECONCILE_INTERVAL`] (or ten times as long as the last one took, if longer)
//!   it compares all `(id, updated_at, downloads)` with the database, which catches
//!   deleted rows and download counts;
//! - `trove admin reindex` bumps a generation number in the database; each node polls it
//!   and rebuilds its index from scratch when it changes (and at start when its index is
//!   missing, unreadable or in an older format).
//!
//! The index only holds what `trove-search` needs; results are rendered from it without a
//! database read. Private packages are filtered per caller ([`Services::search_access`]).

use crate::{AuthVia, Ctx, Result, ServiceError};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Mutex};
use trove_core::time::rfc3339;
use trove_core::TokenScope;
use trove_db::packages::Package;
use trove_db::Db;
use trove_search::{Access, Document, Index, Query, Sort};
use trove_wire::limits::{SEARCH_MAX_PAGE as MAX_PAGE, SEARCH_QUERY_MAX_LEN as MAX_QUERY_CHARS};

sub_service!(
    /// Package search over this node's index, with the caller's access applied.
    Search,
    search
);

/// How often a node looks for changes made elsewhere and for a reindex request.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(1);
/// How often a node compares its whole index with the database.
pub const RECONCILE_INTERVAL: Duration = Duration::from_secs(30);
/// Packages updated this long before the newest change seen are read again.
pub const LAG_MARGIN_MS: i64 = 10 * 60 * 1000;
/// A reconcile reads every package row: with a million packages that is seconds of a
/// core. The next one waits at least ten times as long as the last one took, so that it
/// never takes more than a tenth of a core, and at least [`RECONCILE_INTERVAL`].
fn reconcile_interval(took: Duration) -> Duration {
    RECONCILE_INTERVAL.max(took * 10)
}

/// Rows read per query while rebuilding.
const LOAD_BATCH: i64 = 500;

/// Largest page size; larger requests are capped.
pub const MAX_PER_PAGE: usize = 100;
pub const DEFAULT_PER_PAGE: usize = 20;
const FACET_VALUES: usize = 20;

struct SyncState {
    generation: i64,
    /// The newest `updated_at` seen.
    watermark: i64,
    last_reconcile: Instant,
    /// How long after `last_reconcile` the next one is due ([`reconcile_interval`]).
    reconcile_every: Duration,
    /// Rows seen that are not indexed (e.g. no live version), by `updated_at`, so they are
    /// not read again until they change.
    skipped: HashMap<i64, i64>,
}

/// What each commit stores with the index: the [`SyncState`] to resume from.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    generation: i64,
    watermark: i64,
    skipped: Vec<(i64, i64)>,
}

impl SyncState {
    fn saved(&self) -> String {
        let mut skipped: Vec<(i64, i64)> = self.skipped.iter().map(|(&a, &b)| (a, b)).collect();
        skipped.sort_unstable();
        serde_json::to_string(&Saved {
            generation: self.generation,
            watermark: self.watermark,
            skipped,
        })
        .expect("sync state as JSON")
    }
}

/// This node's search index and the state that keeps it in step with the database.
pub struct SearchIndex {
    db: Db,
    /// Where the index should live on disk (`None`: in memory only).
    wanted: Option<PathBuf>,
    /// Where it does, once first used, with the lock held while this process uses it so
    /// that two processes never write one index.
    place: std::sync::OnceLock<Option<(PathBuf, std::fs::File)>>,
    index: Arc<RwLock<Index>>,
    sync: Mutex<SyncState>,
    /// Whether the index is usable: until then searches answer 503 and `/health/ready`
    /// says so (the server takes requests while it opens or builds it).
    built: AtomicBool,
    built_wake: tokio::sync::Notify,
    /// Held by the one change being committed.
    writing: Mutex<()>,
    /// A commit failed: the next sync compares everything with the database.
    lost_changes: AtomicBool,
}

/// What the index holds of a package, or `None` when it is not listed: a native package
/// with no live version (all yanked or deleted) is not offered.
fn document(p: &Package) -> Option<Document> {
    if p.ecosystem == crate::packages::NATIVE && p.latest_version.is_none() {
        return None;
    }
    Some(Document {
        id: p.id,
        namespace_id: p.namespace_id,
        private: p.is_private(),
        ecosystem: p.ecosystem.to_string(),
        scope: p.scope.clone(),
        name: p.name.clone(),
        kind: p.kind.to_string(),
        description: p.description.clone(),
        license: p.license.clone(),
        keywords: p.keywords.clone(),
        categories: p.categories.clone(),
        latest_version: p.latest_version.clone(),
        downloads: p.downloads,
        updated_at: p.updated_at,
    })
}

/// The index directory `CURRENT` names under `root`, if any.
fn current_dir(root: &Path) -> Option<PathBuf> {
    let name = std::fs::read_to_string(root.join("CURRENT")).ok()?;
    let name = name.trim();
    (name.starts_with("index-") && !name.contains('/')).then(|| root.join(name))
}

/// Makes `dir` the index `CURRENT` names (atomically), then removes every other index
/// directory under `root`.
fn switch_current(root: &Path, dir: &Path) -> std::io::Result<()> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let tmp = root.join("CURRENT.tmp");
    std::fs::write(&tmp, format!("{name}\n"))?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, root.join("CURRENT"))?;
    std::fs::File::open(root)?.sync_all()?;
    remove_other_dirs(root, Some(dir));
    Ok(())
}

/// Removes index directories under `root` other than `keep` (leftovers of rebuilds that
/// were interrupted or replaced).
fn remove_other_dirs(root: &Path, keep: Option<&Path>) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for e in entries.flatten() {
        let path = e.path();
        let is_index = e.file_name().to_str().is_some_and(|n| n.starts_with("index-"));
        if is_index && Some(path.as_path()) != keep {
            if let Err(err) = std::fs::remove_dir_all(&path) {
                tracing::warn!(error = %err, dir = %path.display(), "removing an old search index failed");
            }
        }
    }
}

fn index_error(e: trove_search::Error) -> ServiceError {
    ServiceError::internal(e.to_string())
}

impl SearchIndex {
    /// A search index kept under `root` (`None`: in memory, rebuilt at every start). It is
    /// opened or built by [`SearchIndex::build_at_start`].
    pub fn new(db: Db, root: Option<PathBuf>) -> Self {
        SearchIndex {
            db,
            wanted: root,
            place: std::sync::OnceLock::new(),
            index: Arc::new(RwLock::new(Index::new())),
            built: AtomicBool::new(false),
            built_wake: tokio::sync::Notify::new(),
            writing: Mutex::new(()),
            lost_changes: AtomicBool::new(false),
            sync: Mutex::new(SyncState {
                generation: -1,
                watermark: 0,
                last_reconcile: Instant::now(),
                reconcile_every: RECONCILE_INTERVAL,
                skipped: HashMap::new(),
            }),
        }
    }

    fn lock(root: &Path) -> std::io::Result<std::fs::File> {
        std::fs::create_dir_all(root)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(root.join("node.lock"))?;
        file.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => {
                std::io::Error::new(std::io::ErrorKind::WouldBlock, "locked by another process")
            }
            std::fs::TryLockError::Error(e) => e,
        })?;
        Ok(file)
    }

    /// Where this node keeps its index (`None`: in memory). Taken (locked) on first use.
    pub fn dir(&self) -> Option<&Path> {
        self.place
            .get_or_init(|| {
                let root = self.wanted.clone()?;
                match Self::lock(&root) {
                    Ok(lock) => Some((root, lock)),
                    Err(e) => {
                        tracing::warn!(error = %e, dir = %root.display(), "the search index directory is in use by another process; this node keeps its search index in memory");
                        None
                    }
                }
            })
            .as_ref()
            .map(|(root, _)| root.as_path())
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the index is usable (searches answer from it).
    pub fn is_built(&self) -> bool {
        self.built.load(Ordering::Acquire)
    }

    fn set_built(&self) {
        self.built.store(true, Ordering::Release);
        self.built_wake.notify_waiters();
    }

    /// Opens the index this node left on disk, with the sync state stored with it; false
    /// when there is none or it cannot be read (it is then rebuilt).
    async fn open_saved(&self) -> bool {
        let Some(dir) = self.dir().and_then(current_dir) else {
            return false;
        };
        // Held while opening (seconds for a million packages): nothing else may build or
        // switch indexes meanwhile.
        let mut state = self.sync.lock().await;
        let started = Instant::now();
        let opened = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || Index::open(&dir)).await
        };
        let ix = match opened {
            Ok(Ok(ix)) => ix,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the saved search index cannot be opened; rebuilding it");
                return false;
            }
            Err(e) => {
                tracing::warn!(error = %e, "opening the saved search index failed; rebuilding it");
                return false;
            }
        };
        let Some(saved) = ix.payload().and_then(|p| serde_json::from_str::<Saved>(p).ok()) else {
            tracing::warn!("the saved search index has no sync state; rebuilding it");
            return false;
        };
        state.generation = saved.generation;
        state.watermark = saved.watermark;
        state.skipped = saved.skipped.into_iter().collect();
        // Download counts are not saved: compare everything with the database at the first
        // sync, which also catches deletions made while this node was down.
        state.last_reconcile = Instant::now() - RECONCILE_INTERVAL;
        let n = ix.len();
        *self.write() = ix;
        self.set_built();
        if let Some(root) = self.dir() {
            remove_other_dirs(root, Some(&dir));
        }
        tracing::info!(
            packages = n,
            generation = state.generation,
            ms = started.elapsed().as_millis() as u64,
            "search index opened"
        );
        true
    }

    /// Opens the saved index, or builds one, retrying while the database is unreachable,
    /// until it succeeds or `stop` turns true. The server runs this in the background, so it
    /// answers `/health/live` at once however many packages there are. A saved index is
    /// usable at once; it then catches up with what changed while the node was down.
    pub async fn build_at_start(&self, mut stop: tokio::sync::watch::Receiver<bool>) {
        if self.open_saved().await {
            if let Err(e) = self.sync().await {
                tracing::warn!(error = %e.message, "catching up the search index failed; the next sync retries");
            }
            return;
        }
        let mut delay = std::time::Duration::from_millis(250);
        while !self.is_built() && !*stop.borrow() {
            match self.rebuild().await {
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e.message, "building the search index failed; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = stop.changed() => {}
                    }
                    delay = (delay * 2).min(std::time::Duration::from_secs(10));
                }
            }
        }
    }

    /// Waits until the index is usable (tests, and callers that must not see 503s).
    pub async fn wait_built(&self) {
        loop {
            let woken = self.built_wake.notified();
            if self.is_built() {
                return;
            }
            woken.await;
        }
    }

    /// Number of packages in this node's index.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The reindex generation this node's index was built for (-1 before the first build).
    pub async fn generation(&self) -> i64 {
        self.sync.lock().await.generation
    }

    /// Rebuilds the index from the database and swaps it in; returns the number of packages.
    pub async fn rebuild(&self) -> Result<usize> {
        let mut state = self.sync.lock().await;
        self.rebuild_locked(&mut state).await
    }

    async fn rebuild_locked(&self, state: &mut SyncState) -> Result<usize> {
        let started = Instant::now();
        let mut conn = self.db.conn().await?;
        let generation = trove_db::search::generation(&mut conn).await?;
        // Tokenizing is CPU work: a blocking thread does it while this task reads the next
        // batch.
        let (tx, mut rx) = mpsc::channel::<Vec<Package>>(2);
        // A new directory: the index in use stays as it is until this one is complete.
        let dir = self.dir().map(|root| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            root.join(format!("index-{generation}-{nanos}"))
        });
        let build_dir = dir.clone();
        let builder = tokio::task::spawn_blocking(move || -> trove_search::Result<_> {
            let mut ix = match &build_dir {
                Some(d) => Index::open(d)?,
                None => Index::new(),
            };
            ix.begin_bulk();
            let mut skipped = HashMap::new();
            let mut watermark = 0;
            while let Some(batch) = rx.blocking_recv() {
                for p in batch {
                    watermark = watermark.max(p.updated_at);
                    match document(&p) {
                        Some(doc) => ix.upsert(doc, p.readme.as_deref().unwrap_or("")),
                        None => {
                            skipped.insert(p.id, p.updated_at);
                        }
                    }
                }
            }
            Ok((ix, skipped, watermark))
        });
        let mut after = 0;
        loop {
            let batch = trove_db::search::packages_after(&mut conn, after, LOAD_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            let full = batch.len() as i64 == LOAD_BATCH;
            if tx.send(batch).await.is_err() || !full {
                break;
            }
        }
        drop(tx);
        drop(conn);
        let built = builder
            .await
            .map_err(|e| ServiceError::internal(format!("building the search index: {e}")));
        let (mut ix, skipped, watermark) = match built.and_then(|r| r.map_err(index_error)) {
            Ok(b) => b,
            Err(e) => {
                if let Some(d) = &dir {
                    let _ = std::fs::remove_dir_all(d);
                }
                return Err(e);
            }
        };
        state.generation = generation;
        state.watermark = watermark;
        state.skipped = skipped;
        state.last_reconcile = Instant::now();
        ix.set_payload(state.saved());
        let reopen_dir = dir.clone();
        let ix = tokio::task::spawn_blocking(move || {
            ix.commit()?;
            // One segment: a query then reads one term dictionary per field. An index left
            // in several segments still answers correctly, only slower.
            if let Err(e) = ix.merge_all() {
                tracing::warn!(error = %e, "merging the rebuilt search index failed; it stays in several segments");
            }
            // The build leaves its records scattered between the memory it freed, which the
            // allocator keeps (at 1M packages: 1.8 GB resident after the build against
            // 0.35 GB for the same index opened by a restart). Opened again from disk, as a
            // restart does, the records are laid out compactly and the rest goes back.
            let Some(d) = reopen_dir else {
                return Ok(ix);
            };
            ix.close()?;
            release_free_memory();
            let ix = Index::open(&d)?;
            release_free_memory();
            Ok::<_, trove_search::Error>(ix)
        })
        .await
        .map_err(|e| ServiceError::internal(format!("building the search index: {e}")))?;
        let ix = match ix {
            Ok(ix) => ix,
            Err(e) => {
                if let Some(d) = &dir {
                    let _ = std::fs::remove_dir_all(d);
                }
                // The index in use is the old one: the next sync tries again.
                state.generation = -1;
                return Err(index_error(e));
            }
        };
        let n = ix.len();
        // Swapped in first, then closed (its merges finished) before its directory is
        // removed.
        let old = std::mem::replace(&mut *self.write(), ix);
        let root = self.dir().map(Path::to_path_buf);
        let switched = tokio::task::spawn_blocking(move || {
            if let Err(e) = old.close() {
                tracing::warn!(error = %e, "closing the replaced search index failed");
            }
            match (root, dir) {
                (Some(root), Some(d)) => switch_current(&root, &d),
                _ => Ok(()),
            }
        })
        .await;
        if let Ok(Err(e)) = switched {
            tracing::warn!(error = %e, "recording the rebuilt search index failed; the next start rebuilds it");
        }
        self.set_built();
        // Catch what changed while the rows were being read.
        self.catch_up(state).await?;
        tracing::info!(
            packages = n,
            generation,
            ms = started.elapsed().as_millis() as u64,
            "search index built"
        );
        Ok(n)
    }

    /// One round of the background loop: rebuild when a reindex was requested, otherwise
    /// read recent changes (and now and then compare everything).
    pub async fn sync(&self) -> Result<()> {
        // The first index is opened or built by `build_at_start` alone (a sync racing it
        // would build a second one).
        if !self.is_built() {
            return Ok(());
        }
        let mut state = self.sync.lock().await;
        let generation = {
            let mut conn = self.db.conn().await?;
            trove_db::search::generation(&mut conn).await?
        };
        if generation != state.generation {
            self.rebuild_locked(&mut state).await?;
            return Ok(());
        }
        self.catch_up(&mut state).await?;
        if state.last_reconcile.elapsed() >= state.reconcile_every || self.lost_changes.swap(false, Ordering::AcqRel) {
            self.reconcile_locked(&mut state).await?;
        }
        Ok(())
    }

    /// Compares every package's `updated_at` and download count with the index now:
    /// removes deleted packages, re-reads changed ones, updates download counts.
    pub async fn reconcile(&self) -> Result<()> {
        let mut state = self.sync.lock().await;
        self.reconcile_locked(&mut state).await
    }

    async fn reconcile_locked(&self, state: &mut SyncState) -> Result<()> {
        let started = Instant::now();
        let rows = {
            let mut conn = self.db.conn().await?;
            trove_db::search::all_versions(&mut conn).await?
        };
        let present: HashSet<i64> = rows.iter().map(|r| r.0).collect();
        // Compare under the read lock (searches go on); write only what differs.
        let mut stale = Vec::new();
        let mut downloads_changed = Vec::new();
        let gone: Vec<i64> = {
            let ix = self.read();
            for &(id, updated_at, downloads) in &rows {
                match ix.stamp(id) {
                    Some((at, n)) if at == updated_at && n != downloads => {
                        downloads_changed.push((id, downloads));
                    }
                    Some((at, _)) if at == updated_at => {}
                    Some(_) => stale.push(id),
                    None if state.skipped.get(&id) != Some(&updated_at) => stale.push(id),
                    None => {}
                }
            }
            ix.versions()
                .map(|(id, _)| id)
                .filter(|id| !present.contains(id))
                .collect()
        };
        if !downloads_changed.is_empty() {
            let mut ix = self.write();
            for (id, downloads) in downloads_changed {
                ix.set_downloads(id, downloads);
            }
        }
        if !gone.is_empty() {
            self.change(None, move |ix| {
                for id in gone {
                    ix.remove(id);
                }
            })
            .await;
        }
        state.skipped.retain(|id, _| present.contains(id));
        self.reload(state, &stale).await?;
        state.last_reconcile = Instant::now();
        state.reconcile_every = reconcile_interval(started.elapsed());
        Ok(())
    }

    /// Re-reads packages updated since the watermark (less the margin) that differ from
    /// the index.
    async fn catch_up(&self, state: &mut SyncState) -> Result<()> {
        let rows = {
            let mut conn = self.db.conn().await?;
            trove_db::search::changed_since(&mut conn, state.watermark - LAG_MARGIN_MS).await?
        };
        let stale: Vec<i64> = {
            let ix = self.read();
            rows.iter()
                .filter(|&&(id, updated_at)| match ix.stamp(id) {
                    Some((at, _)) => at != updated_at,
                    None => state.skipped.get(&id) != Some(&updated_at),
                })
                .map(|r| r.0)
                .collect()
        };
        let watermark = rows.iter().map(|r| r.1).max().unwrap_or(0).max(state.watermark);
        self.reload(state, &stale).await?;
        if watermark != state.watermark {
            state.watermark = watermark;
            // Durable with the next commit (the rows up to it are in the index now).
            let saved = state.saved();
            self.write().set_payload(saved);
        }
        Ok(())
    }

    async fn reload(&self, state: &mut SyncState, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut conn = self.db.conn().await?;
        let mut read = Vec::with_capacity(ids.len());
        for &id in ids {
            let pkg = trove_db::packages::find_by_id(&mut conn, id).await?;
            match &pkg {
                Some(p) if document(p).is_none() => {
                    state.skipped.insert(id, p.updated_at);
                }
                _ => {
                    state.skipped.remove(&id);
                }
            }
            read.push((id, pkg));
            // One commit per batch: a commit syncs files.
            if read.len() == LOAD_BATCH as usize {
                let batch = std::mem::take(&mut read);
                self.change(Some(state.saved()), move |ix| {
                    batch.into_iter().for_each(|(id, p)| apply(ix, id, p, true))
                })
                .await;
            }
        }
        let saved = state.saved();
        self.change(Some(saved), move |ix| {
            read.into_iter().for_each(|(id, p)| apply(ix, id, p, true))
        })
        .await;
        Ok(())
    }

    /// Stages changes with `f` and commits them (with `saved` as the sync state when
    /// given), on a blocking thread: a commit writes and syncs files. Never fails: when the
    /// commit cannot be made (a full disk, say) the changes are dropped and the next sync
    /// compares everything with the database again.
    async fn change(&self, saved: Option<String>, f: impl FnOnce(&mut Index) + Send + 'static) {
        // One change at a time: staging, syncing files and publishing must not interleave.
        let _one = self.writing.lock().await;
        let index = self.index.clone();
        let res = tokio::task::spawn_blocking(move || {
            let write = || index.write().unwrap_or_else(|e| e.into_inner());
            {
                let mut ix = write();
                f(&mut ix);
                if let Some(s) = saved {
                    ix.set_payload(s);
                }
                if !ix.has_staged() {
                    return Ok(());
                }
            }
            // Files are synced under a shared lock: searches go on meanwhile.
            let synced = index.read().unwrap_or_else(|e| e.into_inner()).commit_files();
            let mut ix = write();
            match synced {
                Ok(()) => ix.publish(),
                Err(e) => {
                    ix.abandon();
                    Err(e)
                }
            }
        })
        .await;
        let err = match res {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        self.lost_changes.store(true, Ordering::Release);
        tracing::warn!(error = %err, "updating the search index failed; the next sync retries");
    }

    /// Refreshes one package after a change committed on this node. Never fails: if the
    /// database cannot be read now, the background sync catches up.
    pub async fn refresh_package(&self, id: i64) {
        let res = async {
            let mut conn = self.db.conn().await?;
            trove_db::packages::find_by_id(&mut conn, id).await
        }
        .await;
        match res {
            Ok(pkg) => self.change(None, move |ix| apply(ix, id, pkg, false)).await,
            Err(e) => tracing::warn!(error = %e, package_id = id, "search index refresh failed; sync will retry"),
        }
    }

    /// Asks every node (this one included) to rebuild its index from the database; returns
    /// the new generation. This is what `trove admin reindex` does.
    pub async fn request_reindex(&self) -> Result<i64> {
        let mut tx = self.db.write().await?;
        let g = trove_db::search::bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(g)
    }

    /// Runs [`SearchIndex::sync`] every [`SYNC_INTERVAL`] until `stop` changes.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(SYNC_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => break,
            }
            if let Err(e) = self.sync().await {
                tracing::warn!(error = %e, "search index sync failed; will retry");
            }
        }
    }
}

/// Puts a package as read from the database into the index (or takes it out). Unless
/// `force`, an older row than the one indexed is ignored: two refreshes may finish out of
/// order.
fn apply(ix: &mut Index, id: i64, pkg: Option<Package>, force: bool) {
    let doc = pkg.as_ref().and_then(document);
    match doc {
        Some(doc) => {
            if force || ix.stamp(id).is_none_or(|(at, _)| at <= doc.updated_at) {
                let readme = pkg.as_ref().and_then(|p| p.readme.as_deref()).unwrap_or("");
                ix.upsert(doc, readme);
            }
        }
        None => {
            ix.remove(id);
        }
    }
}

pub use trove_wire::{Category as CategoryView, Facets as FacetCounts, PackageSummary, SearchResults as SearchPage};

/// A package of the index as search results and lists show it.
pub fn summary(d: &Document) -> PackageSummary {
    PackageSummary {
        full_name: d.full_name(),
        scope: d.scope.clone(),
        name: d.name.clone(),
        ecosystem: d.ecosystem.clone(),
        kind: d.kind.clone(),
        description: d.description.clone(),
        latest_version: d.latest_version.clone(),
        license: d.license.clone(),
        keywords: d.keywords.clone(),
        categories: d.categories.clone(),
        downloads: d.downloads,
        updated_at: rfc3339(d.updated_at),
    }
}

/// Search parameters as they arrive (all optional strings); validated by
/// [`Services::search_packages`].
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SearchParams {
    pub q: Option<String>,
    pub ecosystem: Option<String>,
    pub kind: Option<String>,
    pub category: Option<String>,
    pub license: Option<String>,
    pub keyword: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    /// Only packages of this namespace: set by registries that serve one namespace (Cargo's
    /// `/cargo/{scope}`), never taken from a query string.
    #[serde(skip)]
    pub namespace_id: Option<i64>,
}

fn positive(name: &'static str, code: &'static str, v: Option<&str>, default: usize) -> Result<usize> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| ServiceError::bad_request(code, format!("`{name}` must be a whole number from 1 on"))),
    }
}

/// A filter value: empty means none; known vocabularies are checked.
fn filter<'a>(
    name: &'static str,
    v: &'a Option<String>,
    check: impl Fn(&str) -> std::result::Result<(), String>,
) -> Result<Option<&'a str>> {
    let Some(v) = v.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if v.len() > 200 {
        return Err(ServiceError::unprocessable(
            "invalid_filter",
            format!("`{name}` is too long"),
        ));
    }
    // Several values, separated by commas, match any of them.
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        check(part).map_err(|e| ServiceError::unprocessable("invalid_filter", format!("`{name}`: {e}")))?;
    }
    Ok(Some(v))
}

impl Search<'_> {
    /// Which private packages the caller may find: none for anonymous callers and tokens
    /// without the `read` scope; all for site admins; otherwise those in the caller's own
    /// namespace and organizations and those they own or maintain. Token package patterns
    /// limit private results further (as for reading a package directly).
    pub async fn search_access(&self, ctx: &Ctx) -> Result<Access> {
        let Some(p) = &ctx.principal else {
            return Ok(Access::public());
        };
        if !p.has_scope(TokenScope::Read) {
            return Ok(Access::public());
        }
        let name_filter: Option<trove_search::NameFilter> = match &p.via {
            AuthVia::Token {
                patterns: Some(patterns),
                ..
            } => {
                let patterns = patterns.clone();
                Some(Box::new(move |name: &str| {
                    patterns.iter().any(|pat| trove_core::pattern::matches(pat, name))
                }))
            }
            _ => None,
        };
        if p.user.admin() {
            return Ok(Access {
                all: true,
                name_filter,
                ..Access::default()
            });
        }
        let mut conn = self.db.conn().await?;
        let namespaces = trove_db::search::readable_namespaces(&mut conn, p.user.id).await?;
        let packages = trove_db::search::owned_packages(&mut conn, p.user.id).await?;
        Ok(Access {
            all: false,
            namespaces: namespaces.into_iter().collect(),
            packages: packages.into_iter().collect(),
            name_filter,
        })
    }

    /// Full-text search with filters, facets, sorting and pagination.
    pub async fn search_packages(&self, ctx: &Ctx, params: &SearchParams) -> Result<SearchPage> {
        let text = params.q.as_deref().unwrap_or("").trim();
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(ServiceError::unprocessable(
                "query_too_long",
                format!("the query is longer than {MAX_QUERY_CHARS} characters"),
            ));
        }
        let sort = match params.sort.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Sort::Relevance,
            Some(s) => Sort::parse(s).ok_or_else(|| {
                ServiceError::bad_request(
                    "invalid_sort",
                    format!("unknown sort `{s}`: use relevance, downloads, recent or name"),
                )
            })?,
        };
        let page = positive("page", "invalid_page", params.page.as_deref(), 1)?;
        if page > MAX_PAGE {
            return Err(ServiceError::bad_request(
                "invalid_page",
                format!("`page` may be at most {MAX_PAGE}"),
            ));
        }
        let per_page = positive(
            "per_page",
            "invalid_per_page",
            params.per_page.as_deref(),
            DEFAULT_PER_PAGE,
        )?
        .min(MAX_PER_PAGE);
        let ecosystem = filter("ecosystem", &params.ecosystem, |v| {
            trove_core::Ecosystem::from_str(v).map(drop)
        })?;
        let kind = filter("kind", &params.kind, |v| trove_core::PackageKind::from_str(v).map(drop))?;
        let category = filter("category", &params.category, |v| {
            if trove_core::categories::is_category(v) {
                Ok(())
            } else {
                Err(format!("`{v}` is not a known category (see /api/v1/categories)"))
            }
        })?;
        let license = filter("license", &params.license, |_| Ok(()))?;
        let keyword = filter("keyword", &params.keyword, |_| Ok(()))?;
        let access = self.search_access(ctx).await?;
        if !self.search_index.is_built() {
            return Err(ServiceError::new(
                crate::ErrorKind::Unavailable,
                "search_unavailable",
                "the search index is still being built after a start: try again in a moment",
            ));
        }

        let ix = self.search_index.read();
        let query = Query {
            text,
            ecosystem,
            kind,
            category,
            license,
            keyword,
            namespace: params.namespace_id,
            sort,
            offset: (page - 1) * per_page,
            limit: per_page,
            facet_limit: FACET_VALUES,
            exact_facets: false,
        };
        let r = ix.search(&query, &access);
        let results = r
            .hits
            .iter()
            .filter_map(|h| ix.get(h.id))
            .map(|d| summary(&d))
            .collect();
        let map = |v: Vec<(String, u32)>| v.into_iter().collect::<BTreeMap<_, _>>();
        let mut facets = FacetCounts {
            ecosystem: map(r.facets.ecosystem),
            kind: map(r.facets.kind),
            category: map(r.facets.category),
            license: map(r.facets.license),
            keyword: map(r.facets.keyword),
        };
        // A filtered facet counts its values as if it were not filtered (the other filters
        // still apply), so that more of its values can be added to the filter.
        let mut facets_exact = r.facets_exact;
        let mut counts_without = |clear: fn(&mut Query)| {
            let mut q = Query {
                offset: 0,
                limit: 0,
                ..query.clone()
            };
            clear(&mut q);
            let r = ix.search(&q, &access);
            facets_exact &= r.facets_exact;
            r.facets
        };
        if ecosystem.is_some() {
            facets.ecosystem = map(counts_without(|q| q.ecosystem = None).ecosystem);
        }
        if kind.is_some() {
            facets.kind = map(counts_without(|q| q.kind = None).kind);
        }
        if category.is_some() {
            facets.category = map(counts_without(|q| q.category = None).category);
        }
        if license.is_some() {
            facets.license = map(counts_without(|q| q.license = None).license);
        }
        if keyword.is_some() {
            facets.keyword = map(counts_without(|q| q.keyword = None).keyword);
        }
        Ok(SearchPage {
            total: r.total,
            page,
            per_page,
            results,
            facets,
            facets_exact,
        })
    }

    /// The fixed category list with the number of public packages in each.
    pub fn list_categories(&self) -> Vec<CategoryView> {
        let counts: HashMap<String, u32> = {
            let ix = self.search_index.read();
            let r = ix.search(
                &Query {
                    limit: 0,
                    facet_limit: usize::MAX,
                    exact_facets: true,
                    ..Query::default()
                },
                &Access::public(),
            );
            r.facets.category.into_iter().collect()
        };
        trove_core::categories::CATEGORIES
            .iter()
            .map(|c| CategoryView {
                slug: c.slug.to_string(),
                name: c.name.to_string(),
                description: c.description.to_string(),
                packages: counts.get(c.slug).copied().unwrap_or(0),
            })
            .collect()
    }

    /// The first `limit` public packages in `sort` order.
    pub(crate) fn top_packages(&self, sort: Sort, limit: usize) -> Vec<PackageSummary> {
        let ix = self.search_index.read();
        let r = ix.search(
            &Query {
                sort,
                limit,
                facet_limit: 0,
                ..Query::default()
            },
            &Access::public(),
        );
        r.hits
            .iter()
            .filter_map(|h| ix.get(h.id))
            .map(|d| summary(&d))
            .collect()
    }

    /// Public packages by id (those in the index), for lists computed elsewhere.
    pub(crate) fn public_summaries(&self, ids: &[i64]) -> HashMap<i64, PackageSummary> {
        let ix = self.search_index.read();
        ids.iter()
            .filter_map(|&id| ix.get(id).filter(|d| !d.private).map(|d| (id, summary(&d))))
            .collect()
    }

    /// Refreshes a package in this node's search index after a committed change.
    pub(crate) async fn reindex_package(&self, package_id: i64) {
        self.search_index.refresh_package(package_id).await;
    }

    /// How many packages this node's index holds.
    pub fn search_index_len(&self) -> usize {
        self.search_index.len()
    }
}

/// Hands memory the allocator holds but no longer uses back to the system (glibc keeps
/// freed memory for reuse; after building a large index that is gigabytes).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers
    // and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_reconcile_is_repeated_less_often() {
        assert_eq!(reconcile_interval(Duration::from_millis(40)), RECONCILE_INTERVAL);
        // A million packages on SQLite: 6 s of reading, then a minute's rest.
        assert_eq!(reconcile_interval(Duration::from_secs(6)), Duration::from_secs(60));
    }
}
