//! Publishing a version: the archive was staged (hashed, size-limited) by the front-end;
//! here it is validated, stored under its digest, and committed in one transaction.

use crate::access::PackageAction;
use crate::views::VersionView;
use crate::{audit, Ctx, ErrorKind, Result, ServiceError};
use trove_core::name::{PackageName, ScopeName};
use trove_core::{now_ms, Visibility};
use trove_storage::StagedBlob;
use trove_tarball::ArchiveInfo;

pub struct PublishRequest {
    pub scope: String,
    pub name: String,
    pub version: String,
    /// Visibility for a package's first version; later versions keep the package's.
    pub visibility: Option<Visibility>,
    /// The finished upload.
    pub archive: StagedBlob,
}

/// A publish that passed every check: what the transaction records.
struct Checked {
    scope: ScopeName,
    name: PackageName,
    version: semver::Version,
    version_key: String,
    full: String,
    digest: trove_core::Digest,
    size: u64,
    info: ArchiveInfo,
    namespace_id: i64,
    publisher_id: i64,
    visibility: Visibility,
}

impl crate::packages::Packages<'_> {
    /// Publishes a version: checks the name, the archive and the caller's rights; stores the
    /// archive (held against garbage collection until the version is committed); records the
    /// version in one transaction; then reindexes, emits the webhook event and counts it.
    pub async fn publish(&self, ctx: &Ctx, req: PublishRequest) -> Result<VersionView> {
        let c = self.check_publish(ctx, &req).await?;
        // Store the bytes first: if the transaction below fails, an unreferenced blob is left
        // for garbage collection, never a version without its archive. The hold keeps a
        // collector on any node from deleting these bytes until the version is committed.
        self.blobs().hold_blob(&c.digest).await?;
        let committed = async {
            self.store.commit(&req.archive).await?;
            metrics::counter!("trove_storage_bytes_written_total").increment(c.size);
            // Concurrent first publishes of one package (different versions) race to create
            // it; the losers' transactions fail on the unique name and are simply run again,
            // now finding the package.
            let mut attempt = 0;
            loop {
                match self.commit_version(ctx, &c).await {
                    Err(e) if e.code == "publish_conflict" && attempt < 5 => {
                        attempt += 1;
                        tracing::debug!(package = %c.full, attempt, "package created concurrently; publishing again");
                    }
                    other => break other,
                }
            }
        }
        .await;
        self.blobs().release_blob(&c.digest).await;
        let (pkg, v) = committed?;
        self.search().reindex_package(pkg.id).await;
        let data = serde_json::json!({ "digest": c.digest.to_string(), "size": c.size });
        self.webhooks()
            .emit_event(ctx, pkg.namespace_id, "publish", Some(&c.full), Some(&v.version), data)
            .await;
        metrics::counter!("trove_publishes_total").increment(1);
        tracing::info!(package = %c.full, version = %c.version, digest = %c.digest, size = c.size, "published");
        Ok(crate::views::version_view(&pkg, &v))
    }

    /// Everything a publish is refused for before anything is stored: names, the archive and
    /// its manifest, dependencies, the caller's rights, a version number already used.
    async fn check_publish(&self, ctx: &Ctx, req: &PublishRequest) -> Result<Checked> {
        let principal = ctx.require_scope(trove_core::TokenScope::Publish)?;
        let scope =
            ScopeName::parse(&req.scope).map_err(|e| ServiceError::bad_request("invalid_name", e.to_string()))?;
        let name =
            PackageName::parse(&req.name).map_err(|e| ServiceError::bad_request("invalid_name", e.to_string()))?;
        let version = super::parse_version(&req.version)?;
        let full = format!("{scope}/{name}");
        let digest = req
            .archive
            .digest()
            .ok_or_else(|| ServiceError::internal("archive upload not finished"))?;
        let size = req.archive.size();
        if size == 0 {
            return Err(ServiceError::bad_request(
                "archive_missing",
                "the request body is empty: send the .tar.gz archive",
            ));
        }
        let info = self.inspect_archive(&req.archive).await?;
        let m = &info.manifest;
        if m.package.name != full {
            return Err(ServiceError::unprocessable(
                "manifest_mismatch",
                format!("trove.toml names `{}` but the upload is for `{full}`", m.package.name),
            ));
        }
        if m.version() != version {
            return Err(ServiceError::unprocessable(
                "manifest_mismatch",
                format!(
                    "trove.toml has version {} but the upload is for {version}",
                    m.package.version
                ),
            ));
        }
        let version_key = trove_core::version::version_key(&version);
        let mut conn = self.db.conn().await?;
        let ns = trove_db::namespaces::find(&mut conn, scope.as_str())
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("namespace `{scope}` not found")))?;
        for dep in m.dependencies.keys() {
            let (ds, dn) = dep.split_once('/').unwrap_or(("", dep));
            if self
                .visible_package(&mut conn, ctx, super::NATIVE, ds, dn)
                .await
                .is_err()
            {
                return Err(ServiceError::unprocessable(
                    "dependency_unknown",
                    format!("dependency `{dep}` does not exist on this registry"),
                ));
            }
        }
        let existing = trove_db::packages::find(&mut conn, super::NATIVE, scope.as_str(), name.as_str()).await?;
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
                    return Err(version_taken(&full, &old));
                }
            }
            None => {
                self.authorize_namespace_publish(&mut conn, ctx, &ns, &full).await?;
            }
        }
        Ok(Checked {
            scope,
            name,
            version,
            version_key,
            full,
            digest,
            size,
            info,
            namespace_id: ns.id,
            publisher_id: principal.user.id,
            visibility: req.visibility.unwrap_or(Visibility::Public),
        })
    }

    /// The package's row (created on its first version, owned by the publisher), the version,
    /// the blob, the package's metadata and the audit entry, in one transaction.
    async fn commit_version(
        &self,
        ctx: &Ctx,
        c: &Checked,
    ) -> Result<(trove_db::packages::Package, trove_db::versions::Version)> {
        let now = now_ms();
        let m = &c.info.manifest;
        let full = &c.full;
        let digest = c.digest.to_string();
        let mut tx = self.db.write().await?;
        let found = trove_db::packages::find(&mut tx, super::NATIVE, c.scope.as_str(), c.name.as_str()).await?;
        let pkg_id = match found {
            Some(p) => {
                trove_db::packages::lock(&mut tx, p.id).await?;
                p.id
            }
            None => {
                let new = trove_db::packages::NewPackage {
                    namespace_id: c.namespace_id,
                    name: c.name.as_str(),
                    ecosystem: super::NATIVE,
                    kind: m.package.kind.as_str(),
                    visibility: c.visibility.as_str(),
                    now,
                };
                let id = trove_db::packages::insert(&mut tx, new).await.map_err(|e| {
                    if e.is_unique_violation() {
                        ServiceError::conflict("publish_conflict", format!("`{full}` was created concurrently; retry"))
                    } else {
                        e.into()
                    }
                })?;
                trove_db::owners::upsert(&mut tx, id, c.publisher_id, "owner", now).await?;
                id
            }
        };
        if let Some(old) = trove_db::versions::find(&mut tx, pkg_id, &c.version_key).await? {
            return Err(version_taken(full, &old));
        }
        let manifest_json = serde_json::to_string(m).map_err(|e| ServiceError::internal(e.to_string()))?;
        let deps_json = serde_json::to_string(&m.dependencies).map_err(|e| ServiceError::internal(e.to_string()))?;
        let new = trove_db::versions::NewVersion {
            package_id: pkg_id,
            version: &c.version.to_string(),
            version_key: &c.version_key,
            digest: &digest,
            size: c.size as i64,
            manifest: &manifest_json,
            dependencies: &deps_json,
            readme: c.info.readme.as_deref(),
            publisher_id: c.publisher_id,
            now,
        };
        let version_id = trove_db::versions::insert(&mut tx, new).await.map_err(|e| {
            if e.is_unique_violation() {
                ServiceError::conflict(
                    "version_exists",
                    format!("`{full}` version {} already exists; versions are immutable", c.version),
                )
            } else {
                e.into()
            }
        })?;
        let file = trove_db::version_files::NewFile {
            version_id,
            filename: &super::archive_file_name(c.scope.as_str(), c.name.as_str(), &c.version.to_string()),
            kind: "archive",
            digest: &digest,
            size: c.size as i64,
            metadata: "{}",
            now,
        };
        trove_db::version_files::insert(&mut tx, file).await?;
        trove_db::blobs::insert_if_absent(&mut tx, &digest, c.size as i64, now).await?;
        self.update_package_meta(&mut tx, pkg_id, &c.info, now).await?;
        let target = format!("{full}@{}", c.version);
        let data = serde_json::json!({ "digest": digest, "size": c.size });
        audit::record(&mut tx, ctx, "version.publish", &target, Some(c.namespace_id), data).await?;
        let pkg = trove_db::packages::find_by_id(&mut tx, pkg_id)
            .await?
            .ok_or_else(|| ServiceError::internal("package vanished"))?;
        let v = trove_db::versions::find(&mut tx, pkg_id, &c.version_key)
            .await?
            .ok_or_else(|| ServiceError::internal("version vanished"))?;
        tx.commit().await?;
        Ok((pkg, v))
    }

    async fn inspect_archive(&self, staged: &StagedBlob) -> Result<ArchiveInfo> {
        let path = staged.path_buf();
        let limits = self.config.archive_limits.clone();
        tokio::task::spawn_blocking(move || {
            let file = std::fs::File::open(&path)?;
            Ok::<_, std::io::Error>(trove_tarball::inspect(std::io::BufReader::new(file), &limits))
        })
        .await
        .map_err(|e| ServiceError::internal(e.to_string()))?
        .map_err(|e| ServiceError::internal(format!("reading the staged archive: {e}")))?
        .map_err(|e| {
            let kind = if e.is_too_large() {
                ErrorKind::TooLarge
            } else {
                ErrorKind::Unprocessable
            };
            ServiceError::new(kind, e.code(), e.to_string())
        })
        .map(|mut info| {
            // The README is display text (the archive keeps its bytes): a NUL in it, which
            // PostgreSQL cannot store, is shown as U+FFFD like any other unreadable byte.
            if let Some(readme) = info.readme.as_mut().filter(|r| r.contains('\0')) {
                *readme = readme.replace('\0', "\u{fffd}");
            }
            info
        })
    }

    /// Copies manifest metadata onto the package when this version becomes the latest.
    async fn update_package_meta(
        &self,
        conn: &mut trove_db::Conn,
        pkg_id: i64,
        info: &ArchiveInfo,
        now: i64,
    ) -> Result<()> {
        let versions = trove_db::versions::list(conn, pkg_id).await?;
        let latest = super::latest_of(&versions);
        let is_latest = latest.is_some_and(|v| v.version == info.manifest.package.version);
        if !is_latest {
            return super::refresh_latest(conn, pkg_id, now).await;
        }
        let p = &info.manifest.package;
        let keywords = serde_json::to_string(&p.keywords).unwrap_or_else(|_| "[]".into());
        let categories = serde_json::to_string(&p.categories).unwrap_or_else(|_| "[]".into());
        trove_db::packages::update_meta(
            conn,
            pkg_id,
            trove_db::packages::PackageMeta {
                kind: p.kind.as_str(),
                description: p.description.as_deref(),
                license: p.license.as_deref(),
                keywords: &keywords,
                categories: &categories,
                homepage: p.homepage.as_deref(),
                repository: p.repository.as_deref(),
                readme: info.readme.as_deref(),
                latest_version: Some(&p.version),
            },
            now,
        )
        .await?;
        Ok(())
    }
}

/// 409 for a number that is taken, whether the version is live or deleted.
fn version_taken(full: &str, old: &trove_db::versions::Version) -> ServiceError {
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
