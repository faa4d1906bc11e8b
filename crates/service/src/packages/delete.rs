use crate::access::PackageAction;
use crate::{audit, Ctx, Result, ServiceError, Services};
use trove_core::now_ms;

impl Services {
    /// Deletes a version within the grace period after publishing (site admins: any time).
    /// The number stays taken; garbage collection removes the archive once nothing else
    /// references it (not here: a concurrent publish of the same bytes may be using it).
    pub async fn delete_version(&self, ctx: &Ctx, scope: &str, name: &str, version: &str) -> Result<()> {
        let mut tx = self.db.write().await?;
        let pkg = self.visible_package(&mut tx, ctx, super::NATIVE, scope, name).await?;
        let p = self.authorize_package(&mut tx, ctx, &pkg, PackageAction::Yank).await?;
        let v = super::find_version(&mut tx, pkg.id, &pkg.full_name(), version).await?;
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
        super::refresh_latest(&mut tx, pkg.id, now).await?;
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
        self.reindex_package(pkg.id).await;
        let data = serde_json::json!({ "digest": v.digest });
        self.emit_event(
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

/// What a garbage-collection pass did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GcReport {
    pub scanned: u64,
    pub deleted: u64,
    pub kept_recent: u64,
    pub bytes_freed: u64,
    /// Leftovers of interrupted uploads removed (staging and partial files).
    pub leftover_files: u64,
    pub leftover_bytes: u64,
}

impl Services {
    /// Deletes stored blobs that no live version and no OCI content references. Blobs younger
    /// than `min_age_ms` are kept: a publish stores its archive before committing the version
    /// that uses it. OCI blobs that no manifest references leave their repositories first (after
    /// the same grace), and bytes a concurrent OCI push holds are never deleted.
    pub async fn gc_blobs(&self, min_age_ms: i64) -> Result<GcReport> {
        let mut report = GcReport::default();
        let now = now_ms();
        self.oci_prune_links(min_age_ms).await?;
        for (digest, modified) in self.store.list().await? {
            report.scanned += 1;
            let mut conn = self.db.conn().await?;
            if trove_db::versions::digest_in_use(&mut conn, &digest.to_string()).await?
                || self.oci_storage_in_use(&mut conn, &digest).await?
            {
                continue;
            }
            if now - modified < min_age_ms {
                report.kept_recent += 1;
                continue;
            }
            let size = self.store.size(&digest).await?.unwrap_or(0);
            drop(conn);
            // Re-checks every reference under a mark that concurrent pushes respect.
            if !self.oci_reclaim(&digest).await? {
                continue;
            }
            report.deleted += 1;
            report.bytes_freed += size;
        }
        let leftovers = self.sweep_upload_leftovers().await?;
        report.leftover_files = leftovers.files;
        report.leftover_bytes = leftovers.bytes;
        Ok(report)
    }

    /// Removes leftovers of interrupted uploads older than the configured age (at start and
    /// with every garbage collection).
    pub async fn sweep_upload_leftovers(&self) -> Result<trove_storage::SweepReport> {
        let min_age = std::time::Duration::from_millis(self.config.stale_upload_ms.max(0) as u64);
        Ok(self.store.sweep_leftovers(min_age).await?)
    }
}
