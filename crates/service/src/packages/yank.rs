use crate::access::PackageAction;
use crate::views::VersionView;
use crate::{audit, Ctx, Result};
use trove_core::now_ms;

impl crate::packages::Packages<'_> {
    /// Yanks (or unyanks) a version: it stays downloadable for lock files that pin it, but
    /// resolvers skip it. A yank may say why (`reason`, PEP 592; at most 1,000 characters);
    /// unyanking clears it. Repeating the same state is a no-op.
    pub async fn set_yanked(
        &self,
        ctx: &Ctx,
        scope: &str,
        name: &str,
        version: &str,
        yanked: bool,
        reason: Option<&str>,
    ) -> Result<VersionView> {
        let reason = yank_reason(reason)?;
        let reason = reason.as_deref().filter(|_| yanked);
        let mut tx = self.db.write().await?;
        let (pkg, this) = self.versioned_package(&mut tx, ctx, scope, name).await?;
        self.authorize_package(&mut tx, ctx, &pkg, PackageAction::Yank).await?;
        let v = this.find_version(&mut tx, pkg.id, &pkg.full_name(), version).await?;
        let now = now_ms();
        let changed = v.is_yanked() != yanked;
        let reason_changed = yanked && v.yank_reason.as_deref() != reason;
        if changed || reason_changed {
            trove_db::versions::set_yanked(&mut tx, v.id, yanked, reason, now).await?;
            super::refresh_latest(&mut tx, this.eco, pkg.id, now).await?;
            let action = if yanked { "version.yank" } else { "version.unyank" };
            audit::record(
                &mut tx,
                ctx,
                action,
                &format!("{}@{}", pkg.full_name(), v.version),
                Some(pkg.namespace_id),
                serde_json::json!({ "reason": reason }),
            )
            .await?;
        }
        let v = this.find_version(&mut tx, pkg.id, &pkg.full_name(), version).await?;
        tx.commit().await?;
        self.search().reindex_package(pkg.id).await;
        if changed {
            let data = serde_json::json!({ "yanked": yanked, "reason": reason });
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

/// A yank reason as stored: trimmed, empty is none, NUL made displayable, bounded.
fn yank_reason(reason: Option<&str>) -> Result<Option<String>> {
    let Some(r) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if r.chars().count() > 1000 {
        return Err(crate::ServiceError::unprocessable(
            "invalid_yank_reason",
            "a yank reason is at most 1,000 characters",
        ));
    }
    Ok(Some(r.replace('\0', "\u{fffd}")))
}
