use crate::access::PackageAction;
use crate::views::VersionView;
use crate::{audit, Ctx, Result};
use trove_core::now_ms;

impl crate::packages::Packages<'_> {
    /// Yanks (or unyanks) a version: it stays downloadable for lock files that pin it, but
    /// resolvers skip it. Repeating the same state is a no-op.
    pub async fn set_yanked(
        &self,
        ctx: &Ctx,
        scope: &str,
        name: &str,
        version: &str,
        yanked: bool,
    ) -> Result<VersionView> {
        let mut tx = self.db.write().await?;
        let pkg = self
            .visible_package(&mut tx, ctx, self.eco.as_str(), scope, name)
            .await?;
        self.authorize_package(&mut tx, ctx, &pkg, PackageAction::Yank).await?;
        let v = self.find_version(&mut tx, pkg.id, &pkg.full_name(), version).await?;
        let now = now_ms();
        let changed = v.is_yanked() != yanked;
        if changed {
            trove_db::versions::set_yanked(&mut tx, v.id, yanked, now).await?;
            super::refresh_latest(&mut tx, self.eco, pkg.id, now).await?;
            let action = if yanked { "version.yank" } else { "version.unyank" };
            audit::record(
                &mut tx,
                ctx,
                action,
                &format!("{}@{}", pkg.full_name(), v.version),
                Some(pkg.namespace_id),
                serde_json::json!({}),
            )
            .await?;
        }
        let v = self.find_version(&mut tx, pkg.id, &pkg.full_name(), version).await?;
        tx.commit().await?;
        self.search().reindex_package(pkg.id).await;
        if changed {
            let data = serde_json::json!({ "yanked": yanked });
            self.webhooks()
                .emit_event(
                    ctx,
                    pkg.namespace_id,
                    "yank",
                    Some(&pkg.full_name()),
                    Some(&v.version),
                    data,
                )
                .await;
        }
        Ok(crate::views::version_view(&pkg, &v))
    }
}
