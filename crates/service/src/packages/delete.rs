use crate::access::PackageAction;
use crate::{audit, Ctx, Result, ServiceError};
use trove_core::now_ms;

impl crate::packages::Packages<'_> {
    /// Deletes a version within the grace period after publishing (site admins: any time).
    /// The number stays taken; garbage collection removes the archive once nothing else
    /// references it (not here: a concurrent publish of the same bytes may be using it).
    pub async fn delete_version(&self, ctx: &Ctx, scope: &str, name: &str, version: &str) -> Result<()> {
        let mut tx = self.db.write().await?;
        let pkg = self
            .visible_package(&mut tx, ctx, self.eco.as_str(), scope, name)
            .await?;
        let p = self.authorize_package(&mut tx, ctx, &pkg, PackageAction::Yank).await?;
        let v = self.find_version(&mut tx, pkg.id, &pkg.full_name(), version).await?;
        let now = now_ms();
        let grace = self.config.delete_grace_ms;
        if !p.user.admin() && now - v.created_at > grace {
            return Err(ServiceError::forbidden(format!(
                "version {} was published more than {} hours ago; yank it instead, or ask an admin",
                v.version,
                grace / 3_600_000
            ))
            .with_code("grace_period_over"));
        }
        trove_db::versions::mark_deleted(&mut tx, v.id, now).await?;
        super::refresh_latest(&mut tx, self.eco, pkg.id, now).await?;
        audit::record(
            &mut tx,
            ctx,
            "version.delete",
            &format!("{}@{}", pkg.full_name(), v.version),
            Some(pkg.namespace_id),
            serde_json::json!({
                "digest": v.digest,
            }),
        )
        .await?;
        tx.commit().await?;
        self.search().reindex_package(pkg.id).await;
        let data = serde_json::json!({ "digest": v.digest });
        self.webhooks()
            .emit_event(
                ctx,
                pkg.namespace_id,
                "delete",
                Some(&pkg.full_name()),
                Some(&v.version),
                data,
            )
            .await;
        Ok(())
    }
}
