//! Reading packages and versions.

use crate::access::PackageAction;
use crate::views::{PackageView, VersionView};
use crate::{audit, Ctx, Result, ServiceError};
use trove_core::{now_ms, Visibility};

impl crate::packages::Packages<'_> {
    /// Package metadata, the hottest read: public packages come from a per-node cache that
    /// any local write invalidates and that lives at most a second (see `package_cache`).
    pub async fn get_package(&self, ctx: &Ctx, scope: &str, name: &str) -> Result<PackageView> {
        let generation = self.db.write_generation();
        if let Some(pkg) = self.package_cache.get(scope, name, generation) {
            if !pkg.is_private() {
                return Ok(crate::views::package_view(&pkg));
            }
        }
        let mut conn = self.db.conn().await?;
        let pkg = self.visible_package_any(&mut conn, ctx, scope, name).await?;
        if !pkg.is_private() {
            self.package_cache.put(scope, name, generation, pkg.clone());
        }
        Ok(crate::views::package_view(&pkg))
    }

    /// Versions newest first by the ecosystem's order (yanked ones included and marked), each
    /// with its scan; quarantined versions only for those who may publish the package.
    pub async fn list_versions(&self, ctx: &Ctx, scope: &str, name: &str) -> Result<Vec<VersionView>> {
        let mut conn = self.db.conn().await?;
        let pkg = self.visible_package_any(&mut conn, ctx, scope, name).await?;
        if pkg.ecosystem == crate::oci::ECOSYSTEM {
            return self.oci().tag_versions(&mut conn, &pkg).await;
        }
        let scans = crate::scans::VersionScans::load(self, &mut conn, ctx, &pkg).await?;
        let mut versions = trove_db::versions::list(&mut conn, pkg.id).await?;
        versions.retain(|v| !scans.hidden(v));
        super::sort_newest_first(pkg.ecosystem, &mut versions);
        Ok(versions
            .iter()
            .map(|v| {
                let mut view = crate::views::version_view(&pkg, v);
                view.scan = scans.view(v);
                view
            })
            .collect())
    }

    /// A version with its scan. On the native packages (`svc.packages()`) the package is found
    /// by name whatever its ecosystem, as the native API shows it (an OCI repository's tag).
    pub async fn get_version(&self, ctx: &Ctx, scope: &str, name: &str, version: &str) -> Result<VersionView> {
        let mut conn = self.db.conn().await?;
        let pkg = if self.eco == trove_core::Ecosystem::Native {
            self.visible_package_any(&mut conn, ctx, scope, name).await?
        } else {
            self.visible_package(&mut conn, ctx, self.eco.as_str(), scope, name)
                .await?
        };
        if pkg.ecosystem == crate::oci::ECOSYSTEM {
            return self
                .oci()
                .tag_versions(&mut conn, &pkg)
                .await?
                .into_iter()
                .find(|t| t.version == version)
                .ok_or_else(|| {
                    ServiceError::not_found(format!("version {version} of `{}` not found", pkg.full_name()))
                });
        }
        let v = self
            .of(pkg.ecosystem)
            .find_version(&mut conn, pkg.id, &pkg.full_name(), version)
            .await?;
        let scans = crate::scans::VersionScans::load(self, &mut conn, ctx, &pkg).await?;
        if scans.hidden(&v) {
            return Err(ServiceError::not_found(format!(
                "version {version} of `{}` not found",
                pkg.full_name()
            )));
        }
        let mut view = crate::views::version_view(&pkg, &v);
        view.scan = scans.view(&v);
        Ok(view)
    }

    /// Packages in a namespace that the caller can see.
    pub async fn list_namespace_packages(&self, ctx: &Ctx, scope: &str) -> Result<Vec<PackageView>> {
        let mut conn = self.db.conn().await?;
        let ns = trove_db::namespaces::find(&mut conn, scope)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("namespace `{scope}` not found")))?;
        let mut out = Vec::new();
        for p in trove_db::packages::list_in_namespace(&mut conn, ns.id).await? {
            if self.can_read(&mut conn, ctx, &p).await? {
                out.push(crate::views::package_view(&p));
            }
        }
        Ok(out)
    }

    /// Makes a package public or private (owners only).
    pub async fn set_visibility(
        &self,
        ctx: &Ctx,
        scope: &str,
        name: &str,
        visibility: Visibility,
    ) -> Result<PackageView> {
        let mut tx = self.db.write().await?;
        let pkg = match self.eco {
            trove_core::Ecosystem::Native => self.visible_package_any(&mut tx, ctx, scope, name).await?,
            eco => self.visible_package(&mut tx, ctx, eco.as_str(), scope, name).await?,
        };
        self.change_visibility(tx, ctx, pkg, visibility).await
    }

    /// Makes a package the caller sees (found in `tx`) public or private, if they may manage
    /// its owners; commits `tx`.
    pub(crate) async fn change_visibility(
        &self,
        mut tx: trove_db::WriteTx,
        ctx: &Ctx,
        pkg: trove_db::packages::Package,
        visibility: Visibility,
    ) -> Result<PackageView> {
        self.authorize_package(&mut tx, ctx, &pkg, PackageAction::ManageOwners)
            .await?;
        trove_db::packages::set_visibility(&mut tx, pkg.id, visibility.as_str(), now_ms()).await?;
        audit::record(
            &mut tx,
            ctx,
            "package.visibility",
            &pkg.full_name(),
            Some(pkg.namespace_id),
            serde_json::json!({
                "visibility": visibility.as_str(),
            }),
        )
        .await?;
        let pkg = trove_db::packages::find_by_id(&mut tx, pkg.id)
            .await?
            .ok_or_else(|| ServiceError::internal("package vanished"))?;
        tx.commit().await?;
        self.search().reindex_package(pkg.id).await;
        Ok(crate::views::package_view(&pkg))
    }
}
