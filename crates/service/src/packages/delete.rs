use crate::access::PackageAction;
use crate::{audit, Ctx, Principal, Result, ServiceError};
use trove_core::now_ms;
use trove_db::packages::Package;
use trove_db::versions::Version;
use trove_db::Conn;

impl crate::packages::Packages<'_> {
    /// Deletes a version within the grace period after publishing (site admins: any time).
    /// The number stays taken; garbage collection removes the archive once nothing else
    /// references it (not here: a concurrent publish of the same bytes may be using it).
    pub async fn delete_version(&self, ctx: &Ctx, scope: &str, name: &str, version: &str) -> Result<()> {
        let mut tx = self.db.write().await?;
        let (pkg, this) = self.versioned_package(&mut tx, ctx, scope, name).await?;
        let p = self.authorize_package(&mut tx, ctx, &pkg, PackageAction::Yank).await?;
        let v = this.find_version(&mut tx, pkg.id, &pkg.full_name(), version).await?;
        let now = now_ms();
        self.record_deletion(&mut tx, ctx, p, &pkg, &v, now).await?;
        super::refresh_latest(&mut tx, this.eco, pkg.id, now).await?;
        tx.commit().await?;
        self.search().reindex_package(pkg.id).await;
        self.emit_deletion(ctx, &pkg, &v).await;
        Ok(())
    }

    /// Deletes a version in the caller's transaction, with its audit entry, when `p` may: within
    /// the grace period after publishing, or a site admin (the caller has checked
    /// [`PackageAction::Yank`]). The caller then refreshes the latest version, commits and
    /// emits the event ([`Packages::emit_deletion`]).
    pub(crate) async fn record_deletion(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        p: &Principal,
        pkg: &Package,
        v: &Version,
        now: i64,
    ) -> Result<()> {
        let grace = self.config.delete_grace_ms;
        if !p.user.admin() && now - v.created_at > grace {
            return Err(ServiceError::forbidden(format!(
                "version {} was published more than {} hours ago; yank it instead, or ask an admin",
                v.version,
                grace / 3_600_000
            ))
            .with_code("grace_period_over"));
        }
        self.record_removal(conn, ctx, pkg, v, now, None).await
    }

    /// The deletion itself, with its audit entry (`via`: what deleted it when not the caller
    /// directly, e.g. `retention`), for callers that have checked who may delete it.
    pub(crate) async fn record_removal(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        pkg: &Package,
        v: &Version,
        now: i64,
        via: Option<&str>,
    ) -> Result<()> {
        trove_db::versions::mark_deleted(conn, v.id, now).await?;
        let mut details = serde_json::json!({ "digest": v.digest });
        if let Some(via) = via {
            details["via"] = via.into();
        }
        audit::record(
            conn,
            ctx,
            "version.delete",
            &format!("{}@{}", pkg.full_name(), v.version),
            Some(pkg.namespace_id),
            details,
        )
        .await
    }

    /// The `delete` webhook event of a committed deletion.
    pub(crate) async fn emit_deletion(&self, ctx: &Ctx, pkg: &Package, v: &Version) {
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
    }
}
