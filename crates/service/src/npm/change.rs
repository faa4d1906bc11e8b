//! What npm changes by sending a packument back (`npm deprecate`, `npm unpublish <v>`,
//! `npm owner add/rm`), and unpublishing whole packages. Each change is one transaction,
//! checked against the revision the client read; deletions follow the native rules (within
//! the grace period after publishing, or a site admin) and `latest` never dangles.

use crate::access::PackageAction;
use crate::packages::{deprecate, owners, release};
use crate::{Ctx, Result, ServiceError};
use serde_json::Value;
use std::collections::BTreeMap;
use trove_core::version::EcoVersion;
use trove_core::{now_ms, OwnerRole, PackageKind};
use trove_db::Conn;

/// A packument (or part of one) sent back.
#[derive(Debug, Clone, Default)]
pub struct NpmChange {
    /// The `_rev` the client read (from the body or the URL).
    pub rev: Option<String>,
    /// When the body lists versions: each version kept, with its deprecation message (`None`
    /// or empty: not deprecated). Live versions it leaves out are unpublished.
    pub versions: Option<BTreeMap<String, Option<String>>>,
    /// When the body lists maintainers: their usernames.
    pub maintainers: Option<Vec<String>>,
}

impl super::Npm<'_> {
    /// Applies a packument sent back: deprecations (rights to yank), unpublished versions
    /// (rights to yank, within the grace period) and maintainers (rights to manage owners).
    pub async fn change(&self, ctx: &Ctx, scope: &str, name: &str, change: NpmChange) -> Result<()> {
        let packages = self.packages().of(super::ECOSYSTEM);
        let mut tx = self.db.write().await?;
        let pkg = self.visible(&mut tx, ctx, scope, name).await?;
        let current = self.load(&mut tx, pkg.clone()).await?;
        match &change.rev {
            Some(rev) => check_rev(rev, &current.rev)?,
            None if change
                .versions
                .as_ref()
                .is_some_and(|vs| vs.len() < current.versions.len()) =>
            {
                return Err(ServiceError::conflict(
                    "rev_required",
                    "unpublishing by sending the package back needs the `_rev` it was read at",
                ));
            }
            None => {}
        }
        let now = now_ms();
        let mut deleted = Vec::new();
        if let Some(kept) = &change.versions {
            if let Some(unknown) = kept.keys().find(|k| !current.versions.iter().any(|v| &v.version == *k)) {
                return Err(ServiceError::bad_request(
                    "unknown_version",
                    format!("`{}` has no version {unknown}", pkg.full_name()),
                ));
            }
            let rows = trove_db::versions::list(&mut tx, pkg.id).await?;
            let mut yanker = None;
            for v in &current.versions {
                // None: left out (unpublish); Some(message): kept, deprecated or not.
                let wanted = kept.get(&v.version).map(|m| m.as_deref().filter(|m| !m.is_empty()));
                if wanted == Some(v.deprecated.as_deref()) {
                    continue;
                }
                let p = match yanker {
                    Some(p) => p,
                    None => *yanker.insert(self.authorize_package(&mut tx, ctx, &pkg, PackageAction::Yank).await?),
                };
                let row = rows
                    .iter()
                    .find(|r| r.version == v.version)
                    .ok_or_else(|| ServiceError::internal("a live version vanished"))?;
                match wanted {
                    None => {
                        packages.record_deletion(&mut tx, ctx, p, &pkg, row, now).await?;
                        deleted.push(row.clone());
                    }
                    Some(message) => {
                        deprecate::check_deprecation(message)?;
                        deprecate::record_deprecation(&mut tx, ctx, &pkg, row, message).await?;
                    }
                }
            }
        }
        if let Some(wanted) = &change.maintainers {
            if wanted.is_empty() {
                return Err(ServiceError::bad_request(
                    "no_maintainers",
                    "a package keeps at least one owner: add someone else first",
                ));
            }
            let added: Vec<&String> = wanted.iter().filter(|m| !current.maintainers.contains(m)).collect();
            let removed: Vec<&String> = current.maintainers.iter().filter(|m| !wanted.contains(m)).collect();
            if !added.is_empty() || !removed.is_empty() {
                self.authorize_package(&mut tx, ctx, &pkg, PackageAction::ManageOwners)
                    .await?;
            }
            for m in added {
                owners::set_owner(&mut tx, ctx, &pkg, m, OwnerRole::Owner).await?;
            }
            for m in removed {
                owners::unset_owner(&mut tx, ctx, &pkg, m).await?;
            }
        }
        settle(&mut tx, pkg.id, now).await?;
        tx.commit().await?;
        self.search().reindex_package(pkg.id).await;
        for v in &deleted {
            packages.emit_deletion(ctx, &pkg, v).await;
        }
        Ok(())
    }

    /// Unpublishes every version of a package (`npm unpublish <name> --force`): all of them
    /// or none, by the rules of deleting one. The numbers stay taken.
    pub async fn unpublish_package(&self, ctx: &Ctx, scope: &str, name: &str, rev: Option<&str>) -> Result<()> {
        let packages = self.packages().of(super::ECOSYSTEM);
        let mut tx = self.db.write().await?;
        let pkg = self.visible(&mut tx, ctx, scope, name).await?;
        let current = self.load(&mut tx, pkg.clone()).await?;
        if let Some(rev) = rev {
            check_rev(rev, &current.rev)?;
        }
        let p = self.authorize_package(&mut tx, ctx, &pkg, PackageAction::Yank).await?;
        let now = now_ms();
        let deleted = trove_db::versions::list(&mut tx, pkg.id).await?;
        for row in &deleted {
            packages.record_deletion(&mut tx, ctx, p, &pkg, row, now).await?;
        }
        settle(&mut tx, pkg.id, now).await?;
        tx.commit().await?;
        self.search().reindex_package(pkg.id).await;
        for v in &deleted {
            packages.emit_deletion(ctx, &pkg, v).await;
        }
        Ok(())
    }

    /// Unpublishes the version of a tarball (`DELETE …/-/<file>/-rev/<rev>`, which npm sends
    /// after the packument without it): done when it already is.
    pub async fn unpublish_version(&self, ctx: &Ctx, scope: &str, name: &str, version: &str) -> Result<()> {
        let packages = self.packages().of(super::ECOSYSTEM);
        let mut tx = self.db.write().await?;
        let pkg = self.visible(&mut tx, ctx, scope, name).await?;
        let p = self.authorize_package(&mut tx, ctx, &pkg, PackageAction::Yank).await?;
        let key = packages.parse_version(version)?.key();
        let row = trove_db::versions::find(&mut tx, pkg.id, &key)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("version {version} of `{}` not found", pkg.full_name())))?;
        if row.is_deleted() {
            return Ok(());
        }
        let now = now_ms();
        packages.record_deletion(&mut tx, ctx, p, &pkg, &row, now).await?;
        settle(&mut tx, pkg.id, now).await?;
        tx.commit().await?;
        self.search().reindex_package(pkg.id).await;
        packages.emit_deletion(ctx, &pkg, &row).await;
        Ok(())
    }
}

fn check_rev(sent: &str, current: &str) -> Result<()> {
    if sent == current {
        return Ok(());
    }
    Err(ServiceError::conflict(
        "rev_mismatch",
        format!("the package changed since it was read (revision {sent}, now {current}): read it again and retry"),
    ))
}

/// After a change: the advertised latest version (dist-tag `latest`, never pointing at a
/// deleted version) and the package's metadata from it; also marks the package modified.
pub(crate) async fn settle(conn: &mut Conn, package_id: i64, now: i64) -> Result<()> {
    let Some(latest) = crate::packages::refresh_latest(conn, super::ECOSYSTEM, package_id, now).await? else {
        return Ok(());
    };
    let key = EcoVersion::parse(super::ECOSYSTEM, &latest)
        .map_err(ServiceError::internal)?
        .key();
    let Some(v) = trove_db::versions::find(conn, package_id, &key).await? else {
        return Ok(());
    };
    let doc: serde_json::Map<String, Value> = serde_json::from_str(&v.manifest).unwrap_or_default();
    let mut meta = super::publish::release_meta(&doc);
    meta.readme = v.readme;
    release::write_package_meta(conn, package_id, PackageKind::Library, &meta, &latest, now).await
}
