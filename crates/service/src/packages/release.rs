//! Publishing a release of any ecosystem: the front-end has staged the files (hashed,
//! size-limited) and checked what its protocol requires (a native `trove.toml`, npm's
//! `package.json`, a crate's `Cargo.toml`, a wheel's METADATA); here the rules every
//! ecosystem shares are applied — names, the caller's rights, privacy, numbers never reused —
//! and the files are stored and the version committed in one transaction.

use crate::access::PackageAction;
use crate::views::VersionView;
use crate::{audit, Ctx, Result, ServiceError};
use trove_core::name::{PackageName, ScopeName};
use trove_core::version::EcoVersion;
use trove_core::{now_ms, FileKind, PackageKind, Visibility};
use trove_db::packages::Package;
use trove_db::versions::Version;
use trove_storage::StagedBlob;

/// A release to publish.
pub struct NewRelease {
    pub scope: String,
    /// The Trove package name (the front-end maps its protocol's name onto it).
    pub name: String,
    /// The version in the ecosystem's scheme (semver; PEP 440 for PyPI).
    pub version: String,
    pub kind: PackageKind,
    /// Visibility for a package's first version; later versions keep the package's.
    pub visibility: Option<Visibility>,
    /// What the ecosystem knows of the version (a trove.toml, a package.json, a Cargo index
    /// entry, core metadata), stored with it as JSON.
    pub manifest: serde_json::Value,
    /// The version's dependencies in the ecosystem's shape.
    pub dependencies: serde_json::Value,
    /// Copied onto the package when this version becomes its latest.
    pub meta: ReleaseMeta,
    /// At least one; the first is the version's primary file.
    pub files: Vec<NewReleaseFile>,
    /// Adds the files to an existing live version of this number (a PyPI release gains a
    /// wheel) instead of refusing the number as taken. A file name already in the version is
    /// refused either way.
    pub add_files: bool,
}

/// Package metadata a release carries.
#[derive(Debug, Clone, Default)]
pub struct ReleaseMeta {
    pub description: Option<String>,
    pub license: Option<String>,
    pub keywords: Vec<String>,
    pub categories: Vec<String>,
    pub homepage: Option<String>,
    pub repository: Option<String>,
    pub readme: Option<String>,
}

impl ReleaseMeta {
    /// The metadata as display text: a NUL, which PostgreSQL cannot store, is shown as
    /// U+FFFD like any other unreadable byte (the files and the stored manifest keep what the
    /// client sent).
    fn displayable(mut self) -> Self {
        fn text(s: &mut String) {
            if s.contains('\0') {
                *s = s.replace('\0', "\u{fffd}");
            }
        }
        let ReleaseMeta {
            description,
            license,
            keywords,
            categories,
            homepage,
            repository,
            readme,
        } = &mut self;
        for s in [description, license, homepage, repository, readme]
            .into_iter()
            .flatten()
        {
            text(s);
        }
        keywords.iter_mut().chain(categories.iter_mut()).for_each(text);
        self
    }
}

/// One file of a release.
pub struct NewReleaseFile {
    pub filename: String,
    pub kind: FileKind,
    /// The finished upload.
    pub blob: StagedBlob,
    /// Per-file metadata (a JSON object): wheel tags, npm's sha1 and sha512, …
    pub metadata: serde_json::Value,
}

/// A release that passed every check: what the transaction records.
pub(super) struct CheckedRelease {
    scope: ScopeName,
    name: PackageName,
    version: EcoVersion,
    version_key: String,
    full: String,
    files: Vec<CheckedFile>,
    namespace_id: i64,
    publisher_id: i64,
    visibility: Visibility,
}

struct CheckedFile {
    digest: trove_core::Digest,
    size: u64,
}

impl crate::packages::Packages<'_> {
    /// Publishes a release: checks the names, the files and the caller's rights; stores the
    /// files (held against garbage collection until the version is committed); records the
    /// package (on its first release), the version and its files in one transaction; then
    /// reindexes search, emits the `publish` webhook event and counts it.
    pub async fn publish_release(&self, ctx: &Ctx, rel: NewRelease) -> Result<VersionView> {
        self.publish_release_tagged(ctx, rel, &[]).await
    }

    /// [`Packages::publish_release`], pointing the dist-tags `tags` at the new version in the
    /// same transaction (npm's `latest`, `beta`…; see [`super::settle_latest`]).
    pub async fn publish_release_tagged(&self, ctx: &Ctx, mut rel: NewRelease, tags: &[String]) -> Result<VersionView> {
        rel.meta = rel.meta.displayable();
        let c = self.check_release(ctx, &rel).await?;
        // Store the bytes first: if the transaction below fails, unreferenced blobs are left
        // for garbage collection, never a version without its files. The holds keep a
        // collector on any node from deleting these bytes until the version is committed.
        for f in &c.files {
            self.blobs().hold_blob(&f.digest).await?;
        }
        let committed = async {
            for (f, file) in c.files.iter().zip(&rel.files) {
                self.store.commit(&file.blob).await?;
                metrics::counter!("trove_storage_bytes_written_total").increment(f.size);
            }
            // Concurrent first publishes of one package (different versions) race to create
            // it; the losers' transactions fail on the unique name and are simply run again,
            // now finding the package.
            let mut attempt = 0;
            loop {
                match self.commit_release(ctx, &c, &rel, tags).await {
                    Err(e) if e.code == "publish_conflict" && attempt < 5 => {
                        attempt += 1;
                        tracing::debug!(package = %c.full, attempt, "package created concurrently; publishing again");
                    }
                    other => break other,
                }
            }
        }
        .await;
        for f in &c.files {
            self.blobs().release_blob(&f.digest).await;
        }
        if committed.is_err() {
            // Refused in the transaction (the quota, a concurrent publish of the version):
            // the bytes stored for it go now unless something else references them.
            for f in &c.files {
                if let Err(e) = self.blobs().reclaim_blob(&f.digest).await {
                    tracing::warn!(error = %e, digest = %f.digest, "could not remove a refused publish's file; gc will");
                }
            }
        }
        let (pkg, v) = committed?;
        self.scan_wake.notify_one();
        self.search().reindex_package(pkg.id).await;
        self.webhooks()
            .emit_event(
                ctx,
                pkg.namespace_id,
                "publish",
                Some(&c.full),
                Some(&v.version),
                event_data(&c, &rel),
            )
            .await;
        metrics::counter!("trove_publishes_total").increment(1);
        let primary = &c.files[0];
        tracing::info!(package = %c.full, version = %c.version, ecosystem = %self.eco, digest = %primary.digest, size = primary.size, "published");
        Ok(crate::views::version_view(&pkg, &v))
    }

    /// Everything a release is refused for before anything is stored.
    async fn check_release(&self, ctx: &Ctx, rel: &NewRelease) -> Result<CheckedRelease> {
        let principal = ctx.require_scope(trove_core::TokenScope::Publish)?;
        let scope =
            ScopeName::parse(&rel.scope).map_err(|e| ServiceError::bad_request("invalid_name", e.to_string()))?;
        let name =
            PackageName::parse(&rel.name).map_err(|e| ServiceError::bad_request("invalid_name", e.to_string()))?;
        let version = self.parse_version(&rel.version)?;
        let full = format!("{scope}/{name}");
        let files = check_files(&rel.files)?;
        let version_key = version.key();
        let mut conn = self.db.conn().await?;
        let ns = trove_db::namespaces::find(&mut conn, scope.as_str())
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("namespace `{scope}` not found")))?;
        let existing = trove_db::packages::find(&mut conn, self.eco.as_str(), scope.as_str(), name.as_str()).await?;
        match &existing {
            Some(pkg) => {
                if !self.can_read(&mut conn, ctx, pkg).await? {
                    // Someone else's private package answers exactly as a missing one: the
                    // namespace check a new package gets. A caller who passes it (may create
                    // packages there) is checked on the package itself below.
                    self.authorize_namespace_publish(&mut conn, ctx, &ns, &full).await?;
                }
                self.authorize_package(&mut conn, ctx, pkg, PackageAction::Publish)
                    .await?;
                if pkg.name != name.as_str() || pkg.scope != scope.as_str() {
                    return Err(ServiceError::conflict(
                        "name_taken",
                        format!("`{full}` is too similar to the existing package `{}`", pkg.full_name()),
                    ));
                }
                if let Some(old) = trove_db::versions::find(&mut conn, pkg.id, &version_key).await? {
                    if !(rel.add_files && !old.is_deleted()) {
                        return Err(version_taken(&full, &old));
                    }
                }
            }
            None => {
                self.authorize_namespace_publish(&mut conn, ctx, &ns, &full).await?;
            }
        }
        drop(conn);
        let blobs: Vec<_> = files.iter().map(|f| (&f.digest, f.size)).collect();
        self.quotas().check_blobs(ns.id, &blobs).await?;
        Ok(CheckedRelease {
            scope,
            name,
            version,
            version_key,
            full,
            files,
            namespace_id: ns.id,
            publisher_id: principal.user.id,
            visibility: rel.visibility.unwrap_or(Visibility::Public),
        })
    }

    /// The package's row (created on its first version, owned by the publisher), the version
    /// (or the existing one, when adding files), its files and blobs, its dist-tags, the
    /// package's metadata and the audit entry, in one transaction.
    async fn commit_release(
        &self,
        ctx: &Ctx,
        c: &CheckedRelease,
        rel: &NewRelease,
        tags: &[String],
    ) -> Result<(Package, Version)> {
        let now = now_ms();
        let mut tx = self.db.write().await?;
        // Again under the quota's lock: a concurrent publish may have committed since.
        let blobs: Vec<_> = c.files.iter().map(|f| (&f.digest, f.size)).collect();
        self.quotas()
            .check_blobs_locked(&mut tx, c.namespace_id, &blobs)
            .await?;
        let pkg_id = self.find_or_create_package(&mut tx, c, rel.kind, now).await?;
        let version_id = match trove_db::versions::find(&mut tx, pkg_id, &c.version_key).await? {
            Some(old) if rel.add_files && !old.is_deleted() => old.id,
            Some(old) => return Err(version_taken(&c.full, &old)),
            None => self.insert_version(&mut tx, c, rel, pkg_id, now).await?,
        };
        for (f, file) in c.files.iter().zip(&rel.files) {
            let digest = f.digest.to_string();
            let metadata = match &file.metadata {
                serde_json::Value::Null => "{}".to_string(),
                serde_json::Value::Object(_) => json_text(&file.metadata)?,
                _ => return Err(ServiceError::internal("file metadata must be a JSON object")),
            };
            let new = trove_db::version_files::NewFile {
                version_id,
                filename: &file.filename,
                kind: file.kind.as_str(),
                digest: &digest,
                size: f.size as i64,
                metadata: &metadata,
                now,
            };
            trove_db::version_files::insert(&mut tx, new).await.map_err(|e| {
                if e.is_unique_violation() {
                    ServiceError::conflict(
                        "file_exists",
                        format!(
                            "`{}` version {} already has a file named `{}`",
                            c.full, c.version, file.filename
                        ),
                    )
                } else {
                    e.into()
                }
            })?;
            trove_db::blobs::insert_if_absent(&mut tx, &digest, f.size as i64, now).await?;
        }
        for tag in tags {
            trove_db::dist_tags::set(&mut tx, pkg_id, tag, version_id, now).await?;
        }
        // Queued with the version (again when a release gains files): the scan is never lost.
        crate::scans::queue_version(self, &mut tx, pkg_id, version_id, now).await?;
        self.update_package_meta(&mut tx, pkg_id, rel, &c.version, now).await?;
        let target = format!("{}@{}", c.full, c.version);
        audit::record(
            &mut tx,
            ctx,
            "version.publish",
            &target,
            Some(c.namespace_id),
            event_data(c, rel),
        )
        .await?;
        let pkg = trove_db::packages::find_by_id(&mut tx, pkg_id)
            .await?
            .ok_or_else(|| ServiceError::internal("package vanished"))?;
        let v = trove_db::versions::find(&mut tx, pkg_id, &c.version_key)
            .await?
            .ok_or_else(|| ServiceError::internal("version vanished"))?;
        tx.commit().await?;
        Ok((pkg, v))
    }

    /// The package's id, locked for this transaction; created (owned by the publisher) on
    /// its first release.
    async fn find_or_create_package(
        &self,
        tx: &mut trove_db::Conn,
        c: &CheckedRelease,
        kind: PackageKind,
        now: i64,
    ) -> Result<i64> {
        if let Some(p) = trove_db::packages::find(tx, self.eco.as_str(), c.scope.as_str(), c.name.as_str()).await? {
            trove_db::packages::lock(tx, p.id).await?;
            return Ok(p.id);
        }
        let new = trove_db::packages::NewPackage {
            namespace_id: c.namespace_id,
            name: c.name.as_str(),
            ecosystem: self.eco.as_str(),
            kind: kind.as_str(),
            visibility: c.visibility.as_str(),
            now,
        };
        let id = trove_db::packages::insert(tx, new).await.map_err(|e| {
            if e.is_unique_violation() {
                ServiceError::conflict(
                    "publish_conflict",
                    format!("`{}` was created concurrently; retry", c.full),
                )
            } else {
                e.into()
            }
        })?;
        trove_db::owners::upsert(tx, id, c.publisher_id, trove_core::OwnerRole::Owner, now).await?;
        Ok(id)
    }

    async fn insert_version(
        &self,
        tx: &mut trove_db::Conn,
        c: &CheckedRelease,
        rel: &NewRelease,
        pkg_id: i64,
        now: i64,
    ) -> Result<i64> {
        let primary = &c.files[0];
        let new = trove_db::versions::NewVersion {
            package_id: pkg_id,
            version: &c.version.to_string(),
            version_key: &c.version_key,
            digest: &primary.digest.to_string(),
            size: primary.size as i64,
            manifest: &json_text(&rel.manifest)?,
            dependencies: &json_text(&rel.dependencies)?,
            readme: rel.meta.readme.as_deref(),
            publisher_id: c.publisher_id,
            now,
        };
        trove_db::versions::insert(tx, new).await.map_err(|e| {
            if e.is_unique_violation() {
                ServiceError::conflict(
                    "version_exists",
                    format!(
                        "`{}` version {} already exists; versions are immutable",
                        c.full, c.version
                    ),
                )
            } else {
                e.into()
            }
        })
    }

    /// Copies the release's metadata onto the package when its version is the latest;
    /// otherwise only recomputes which version is.
    async fn update_package_meta(
        &self,
        conn: &mut trove_db::Conn,
        pkg_id: i64,
        rel: &NewRelease,
        version: &EcoVersion,
        now: i64,
    ) -> Result<()> {
        let version = version.to_string();
        if super::refresh_latest(conn, self.eco, pkg_id, now).await?.as_deref() != Some(version.as_str()) {
            return Ok(());
        }
        write_package_meta(conn, pkg_id, rel.kind, &rel.meta, &version, now).await
    }
}

/// Copies the metadata of the package's advertised latest version (`latest`) onto the package.
pub(crate) async fn write_package_meta(
    conn: &mut trove_db::Conn,
    pkg_id: i64,
    kind: PackageKind,
    m: &ReleaseMeta,
    latest: &str,
    now: i64,
) -> Result<()> {
    let keywords = serde_json::to_string(&m.keywords).unwrap_or_else(|_| "[]".into());
    let categories = serde_json::to_string(&m.categories).unwrap_or_else(|_| "[]".into());
    trove_db::packages::update_meta(
        conn,
        pkg_id,
        trove_db::packages::PackageMeta {
            kind: kind.as_str(),
            description: m.description.as_deref(),
            license: m.license.as_deref(),
            keywords: &keywords,
            categories: &categories,
            homepage: m.homepage.as_deref(),
            repository: m.repository.as_deref(),
            readme: m.readme.as_deref(),
            latest_version: Some(latest),
        },
        now,
    )
    .await?;
    Ok(())
}

/// Each file finished, not empty, named safely and once.
fn check_files(files: &[NewReleaseFile]) -> Result<Vec<CheckedFile>> {
    if files.is_empty() {
        return Err(ServiceError::bad_request(
            "archive_missing",
            "a release needs at least one file",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    files
        .iter()
        .map(|f| {
            let digest = f
                .blob
                .digest()
                .ok_or_else(|| ServiceError::internal("upload not finished"))?;
            if f.blob.size() == 0 {
                return Err(ServiceError::bad_request(
                    "archive_missing",
                    format!("`{}` is empty", f.filename),
                ));
            }
            let safe = !f.filename.is_empty()
                && f.filename.len() <= 255
                && !f.filename.contains(['/', '\\', '\0'])
                && !f.filename.starts_with('.');
            if !safe {
                return Err(ServiceError::bad_request(
                    "invalid_file_name",
                    format!("`{}` is not a valid file name", f.filename.escape_debug()),
                ));
            }
            if !seen.insert(f.filename.as_str()) {
                return Err(ServiceError::bad_request(
                    "invalid_file_name",
                    format!("`{}` is given twice", f.filename),
                ));
            }
            Ok(CheckedFile {
                digest,
                size: f.blob.size(),
            })
        })
        .collect()
}

/// The audit and webhook data of a publish: the primary file's digest and size, and every
/// file when there are several.
fn event_data(c: &CheckedRelease, rel: &NewRelease) -> serde_json::Value {
    let primary = &c.files[0];
    let mut data = serde_json::json!({ "digest": primary.digest.to_string(), "size": primary.size });
    if c.files.len() > 1 {
        data["files"] = c
            .files
            .iter()
            .zip(&rel.files)
            .map(|(f, file)| serde_json::json!({ "filename": file.filename, "digest": f.digest.to_string(), "size": f.size }))
            .collect();
    }
    data
}

fn json_text(v: &serde_json::Value) -> Result<String> {
    serde_json::to_string(v).map_err(|e| ServiceError::internal(e.to_string()))
}

/// 409 for a number that is taken, whether the version is live or deleted.
pub(super) fn version_taken(full: &str, old: &Version) -> ServiceError {
    if old.is_deleted() {
        ServiceError::conflict(
            "version_deleted",
            format!(
                "`{full}` version {} was deleted; its number cannot be reused",
                old.version
            ),
        )
    } else {
        ServiceError::conflict(
            "version_exists",
            format!(
                "`{full}` version {} already exists; versions are immutable",
                old.version
            ),
        )
    }
}
