//! `npm dist-tag ls/add/rm`: tags are read by anyone who sees the package and moved by those
//! who may publish to it. `latest` can be moved but not removed.

use crate::access::PackageAction;
use crate::packages::LATEST_TAG;
use crate::{audit, Ctx, Result, ServiceError};
use trove_core::now_ms;

impl super::Npm<'_> {
    /// Tag → version.
    pub async fn dist_tags(&self, ctx: &Ctx, scope: &str, name: &str) -> Result<Vec<(String, String)>> {
        Ok(self.package(ctx, scope, name).await?.dist_tags)
    }

    /// Points `tag` at a live version.
    pub async fn set_dist_tag(&self, ctx: &Ctx, scope: &str, name: &str, tag: &str, version: &str) -> Result<()> {
        super::publish::check_tag(tag)?;
        let mut tx = self.db.write().await?;
        let pkg = self.visible(&mut tx, ctx, scope, name).await?;
        self.authorize_package(&mut tx, ctx, &pkg, PackageAction::Publish)
            .await?;
        let v = self
            .packages()
            .of(super::ECOSYSTEM)
            .find_version(&mut tx, pkg.id, &pkg.full_name(), version)
            .await?;
        let now = now_ms();
        trove_db::dist_tags::set(&mut tx, pkg.id, tag, v.id, now).await?;
        super::change::settle(&mut tx, pkg.id, now).await?;
        audit::record(
            &mut tx,
            ctx,
            "dist_tag.set",
            &format!("{}@{}", pkg.full_name(), v.version),
            Some(pkg.namespace_id),
            serde_json::json!({ "tag": tag }),
        )
        .await?;
        tx.commit().await?;
        self.search().reindex_package(pkg.id).await;
        Ok(())
    }

    /// Removes a tag (not `latest`); 404 when the package has no such tag.
    pub async fn remove_dist_tag(&self, ctx: &Ctx, scope: &str, name: &str, tag: &str) -> Result<()> {
        if tag == LATEST_TAG {
            return Err(ServiceError::bad_request(
                "latest_tag",
                "the `latest` tag cannot be removed: point it at another version instead",
            ));
        }
        let mut tx = self.db.write().await?;
        let pkg = self.visible(&mut tx, ctx, scope, name).await?;
        self.authorize_package(&mut tx, ctx, &pkg, PackageAction::Publish)
            .await?;
        if !trove_db::dist_tags::remove(&mut tx, pkg.id, tag).await? {
            return Err(ServiceError::not_found(format!(
                "`{}` has no dist-tag `{tag}`",
                pkg.full_name()
            )));
        }
        let now = now_ms();
        super::change::settle(&mut tx, pkg.id, now).await?;
        audit::record(
            &mut tx,
            ctx,
            "dist_tag.remove",
            &pkg.full_name(),
            Some(pkg.namespace_id),
            serde_json::json!({ "tag": tag }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
