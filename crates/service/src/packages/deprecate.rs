use crate::access::PackageAction;
use crate::views::VersionView;
use crate::{audit, Ctx, Result, ServiceError};

impl crate::packages::Packages<'_> {
    /// Marks a version deprecated with a message, or clears the mark with `None`.
    pub async fn set_deprecated(
        &self,
        ctx: &Ctx,
        scope: &str,
        name: &str,
        version: &str,
        message: Option<String>,
    ) -> Result<VersionView> {
        if let Some(m) = &message {
            if m.trim().is_empty() || m.len() > 1000 {
                return Err(ServiceError::unprocessable(
                    "invalid_message",
                    "the deprecation message must have 1 to 1000 characters",
                ));
            }
        }
        let mut tx = self.db.write().await?;
        let pkg = self
            .visible_package(&mut tx, ctx, self.eco.as_str(), scope, name)
            .await?;
        self.authorize_package(&mut tx, ctx, &pkg, PackageAction::Yank).await?;
        let v = self.find_version(&mut tx, pkg.id, &pkg.full_name(), version).await?;
        trove_db::versions::set_deprecated(&mut tx, v.id, message.as_deref()).await?;
        let action = if message.is_some() {
            "version.deprecate"
        } else {
            "version.undeprecate"
        };
        audit::record(
            &mut tx,
            ctx,
            action,
            &format!("{}@{}", pkg.full_name(), v.version),
            Some(pkg.namespace_id),
            serde_json::json!({
                "message": message,
            }),
        )
        .await?;
        let v = self.find_version(&mut tx, pkg.id, &pkg.full_name(), version).await?;
        tx.commit().await?;
        Ok(VersionView::new(&pkg, &v))
    }
}
