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

impl crate::packages::Packages<'_> {
    pub async fn publish(&self, ctx: &Ctx, req: PublishRequest) -> Result<VersionView> {
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

        let now = now_ms();
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
            }
            None => {
                self.authorize_namespace_publish(&mut conn, ctx, &ns, &full).await?;
            }
        }
        if let Some(pkg) = &existing {
            if let Some(old) = trove_db::versions::find(&mut conn, pkg.id, &version_key).await? {
                return Err(version_taken(&full, &old));
            }
        }
        drop(conn);

        // Store the bytes first: if the transaction below fails, an unreferenced blob is left
        // for garbage collection, never a version without its archive. The hold keeps a
        // collector on any node from deleting these bytes until the version is committed.
        self.blobs().hold_blob(&digest).await?;
        let committed = async {
            self.store.commit(&req.archive).await?;

            metrics::counter!("trove_storage_bytes_written_total").increment(size);

            let exists = |v: &str| {
                ServiceError::conflict(
                    "version_exists",
                    format!("`{full}` version {v} already exists; versions are immutable"),
                )
            };
            // Concurrent first publishes of one package (different versions) race to create
            // it; the losers' transactions fail on the unique name and are simply run again,
            // now finding the package.
            let mut attempt = 0;
            loop {
                let tried = async {
                    let mut tx = self.db.write().await?;
                    let pkg_id =
                        match trove_db::packages::find(&mut tx, super::NATIVE, scope.as_str(), name.as_str()).await? {
                            Some(p) => {
                                trove_db::packages::lock(&mut tx, p.id).await?;
                                p.id
                            }
                            None => {
                                let id = trove_db::packages::insert(
                                    &mut tx,
                                    trove_db::packages::NewPackage {
                                        namespace_id: ns.id,
                                        name: name.as_str(),
                                        ecosystem: super::NATIVE,
                                        kind: m.package.kind.as_str(),
                                        visibility: req.visibility.unwrap_or(Visibility::Public).as_str(),
                                        now,
                                    },
                                )
                                .await
                                .map_err(|e| {
                                    if e.is_unique_violation() {
                                        ServiceError::conflict(
                                            "publish_conflict",
                                            format!("`{full}` was created concurrently; retry"),
                                        )
                                    } else {
                                        e.into()
                                    }
                                })?;
                                trove_db::owners::upsert(&mut tx, id, principal.user.id, "owner", now).await?;
                                id
                            }
                        };
                    if let Some(old) = trove_db::versions::find(&mut tx, pkg_id, &version_key).await? {
                        return Err(if old.is_deleted() {
                            ServiceError::conflict(
                                "version_deleted",
                                format!(
                                    "`{full}` version {} was deleted; its number cannot be reused",
                                    old.version
                                ),
                            )
                        } else {
                            exists(&old.version)
                        });
                    }
                    let manifest_json = serde_json::to_string(m).map_err(|e| ServiceError::internal(e.to_string()))?;
                    let deps_json =
                        serde_json::to_string(&m.dependencies).map_err(|e| ServiceError::internal(e.to_string()))?;
                    trove_db::versions::insert(
                        &mut tx,
                        trove_db::versions::NewVersion {
                            package_id: pkg_id,
                            version: &version.to_string(),
                            version_key: &version_key,
                            digest: &digest.to_string(),
                            size: size as i64,
                            manifest: &manifest_json,
                            dependencies: &deps_json,
                            readme: info.readme.as_deref(),
                            publisher_id: principal.user.id,
                            now,
                        },
                    )
                    .await
                    .map_err(|e| {
                        if e.is_unique_violation() {
                            exists(&version.to_string())
                        } else {
                            e.into()
                        }
                    })?;
                    trove_db::blobs::insert_if_absent(&mut tx, &digest.to_string(), size as i64, now).await?;
                    self.update_package_meta(&mut tx, pkg_id, &info, now).await?;
                    audit::record(
                        &mut tx,
                        ctx,
                        "version.publish",
                        &format!("{full}@{version}"),
                        Some(ns.id),
                        serde_json::json!({
                            "digest": digest.to_string(), "size": size,
                        }),
                    )
                    .await?;
                    let pkg = trove_db::packages::find_by_id(&mut tx, pkg_id)
                        .await?
                        .ok_or_else(|| ServiceError::internal("package vanished"))?;
                    let v = trove_db::versions::find(&mut tx, pkg_id, &version_key)
                        .await?
                        .ok_or_else(|| ServiceError::internal("version vanished"))?;
                    tx.commit().await?;
                    Ok::<_, ServiceError>((pkg, v))
                }
                .await;
                match tried {
                    Err(e) if e.code == "publish_conflict" && attempt < 5 => {
                        attempt += 1;
                        tracing::debug!(package = %full, attempt, "package created concurrently; publishing again");
                    }
                    other => break other,
                }
            }
        }
        .await;
        self.blobs().release_blob(&digest).await;
        let (pkg, v) = committed?;
        self.search().reindex_package(pkg.id).await;
        let data = serde_json::json!({ "digest": digest.to_string(), "size": size });
        self.webhooks()
            .emit_event(ctx, pkg.namespace_id, "publish", Some(&full), Some(&v.version), data)
            .await;

        metrics::counter!("trove_publishes_total").increment(1);
        tracing::info!(package = %full, %version, %digest, size, "published");
        Ok(VersionView::new(&pkg, &v))
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
