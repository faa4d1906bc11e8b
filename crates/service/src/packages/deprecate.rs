use crate::access::PackageAction;
use crate::views::VersionView;
use crate::{audit, Ctx, Result, ServiceError};
use trove_db::packages::Package;
use trove_db::versions::Version;
use trove_db::Conn;

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
        check_deprecation(message.as_deref())?;
        let mut tx = self.db.write().await?;
        let (pkg, this) = self.versioned_package(&mut tx, ctx, scope, name).await?;
        self.authorize_package(&mut tx, ctx, &pkg, PackageAction::Yank).await?;
        let v = this.find_version(&mut tx, pkg.id, &pkg.full_name(), version).await?;
        record_deprecation(&mut tx, ctx, &pkg, &v, message.as_deref()).await?;
        let v = this.find_version(&mut tx, pkg.id, &pkg.full_name(), version).await?;
        tx.commit().await?;
        Ok(crate::views::version_view(&pkg, &v))
    }
}

/// A deprecation message has 1 to `DEPRECATION_MAX_LEN` characters (`None` clears the mark).
pub(crate) fn check_deprecation(message: Option<&str>) -> Result<()> {
    if let Some(m) = message {
        let max = trove_wire::limits::DEPRECATION_MAX_LEN;
        if m.trim().is_empty() || m.len() > max {
            return Err(ServiceError::unprocessable(
                "invalid_message",
                format!("the deprecation message must have 1 to {max} characters"),
            ));
        }
    }
    Ok(())
}

/// Sets or clears a version's deprecation in the caller's transaction, with its audit entry
/// (the caller has checked the message and the rights: [`PackageAction::Yank`]).
pub(crate) async fn record_deprecation(
    conn: &mut Conn,
    ctx: &Ctx,
    pkg: &Package,
    v: &Version,
    message: Option<&str>,
) -> Result<()> {
    trove_db::versions::set_deprecated(conn, v.id, message).await?;
    let action = if message.is_some() {
        "version.deprecate"
    } else {
        "version.undeprecate"
    };
    audit::record(
        conn,
        ctx,
        action,
        &format!("{}@{}", pkg.full_name(), v.version),
        Some(pkg.namespace_id),
        serde_json::json!({
            "message": message,
        }),
    )
    .await
}
