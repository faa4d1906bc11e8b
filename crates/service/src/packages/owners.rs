use crate::access::PackageAction;
use crate::{audit, Ctx, Result, ServiceError};
use trove_core::{now_ms, time::rfc3339, OwnerRole};
use trove_db::packages::Package;
use trove_db::Conn;

pub use trove_wire::Owner as OwnerView;

/// An owner with the stable id of their account, for protocols that identify owners by
/// number (Cargo's owners list carries crates.io's user ids).
#[derive(Debug, Clone, PartialEq)]
pub struct OwnerAccount {
    pub user_id: i64,
    pub owner: OwnerView,
}

impl crate::packages::Packages<'_> {
    pub async fn list_owners(&self, ctx: &Ctx, scope: &str, name: &str) -> Result<Vec<OwnerView>> {
        let accounts = self.list_owner_accounts(ctx, scope, name).await?;
        Ok(accounts.into_iter().map(|a| a.owner).collect())
    }

    /// The owners, oldest first, with their account ids.
    pub async fn list_owner_accounts(&self, ctx: &Ctx, scope: &str, name: &str) -> Result<Vec<OwnerAccount>> {
        let mut conn = self.db.conn().await?;
        let pkg = self
            .visible_package(&mut conn, ctx, self.eco.as_str(), scope, name)
            .await?;
        Ok(trove_db::owners::list(&mut conn, pkg.id)
            .await?
            .into_iter()
            .map(|o| OwnerAccount {
                user_id: o.user_id,
                owner: OwnerView {
                    username: o.username,
                    role: o.role.to_string(),
                    since: rfc3339(o.created_at),
                },
            })
            .collect())
    }

    /// Adds an owner (`owner`) or collaborator (`maintainer`), or changes their role.
    pub async fn add_owner(
        &self,
        ctx: &Ctx,
        scope: &str,
        name: &str,
        username: &str,
        role: &str,
    ) -> Result<Vec<OwnerView>> {
        let role: OwnerRole = role.parse().map_err(|_| {
            ServiceError::unprocessable(
                "invalid_role",
                format!("unknown role `{role}`: use owner or maintainer"),
            )
        })?;
        let mut tx = self.db.write().await?;
        let pkg = self
            .visible_package(&mut tx, ctx, self.eco.as_str(), scope, name)
            .await?;
        self.authorize_package(&mut tx, ctx, &pkg, PackageAction::ManageOwners)
            .await?;
        set_owner(&mut tx, ctx, &pkg, username, role).await?;
        tx.commit().await?;
        self.list_owners(ctx, scope, name).await
    }

    pub async fn remove_owner(&self, ctx: &Ctx, scope: &str, name: &str, username: &str) -> Result<()> {
        let mut tx = self.db.write().await?;
        let pkg = self
            .visible_package(&mut tx, ctx, self.eco.as_str(), scope, name)
            .await?;
        self.authorize_package(&mut tx, ctx, &pkg, PackageAction::ManageOwners)
            .await?;
        unset_owner(&mut tx, ctx, &pkg, username).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Makes `username` an owner or maintainer of the package (or changes their role) in the
/// caller's transaction, with its audit entry; the last owner cannot become a maintainer.
/// The caller has checked [`PackageAction::ManageOwners`].
pub(crate) async fn set_owner(
    conn: &mut Conn,
    ctx: &Ctx,
    pkg: &Package,
    username: &str,
    role: OwnerRole,
) -> Result<()> {
    let user = trove_db::users::find_by_username(conn, username)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("user `{username}` not found")))?;
    let previous = trove_db::owners::role_of(conn, pkg.id, user.id).await?;
    if previous == Some(OwnerRole::Owner)
        && role != OwnerRole::Owner
        && trove_db::owners::count_role(conn, pkg.id, OwnerRole::Owner).await? <= 1
    {
        return Err(ServiceError::conflict(
            "last_owner",
            format!("`{username}` is the last owner of `{}`", pkg.full_name()),
        ));
    }
    trove_db::owners::upsert(conn, pkg.id, user.id, role, now_ms()).await?;
    audit::record(
        conn,
        ctx,
        "owner.add",
        &format!("{}:{username}", pkg.full_name()),
        Some(pkg.namespace_id),
        serde_json::json!({
            "role": role, "previous": previous,
        }),
    )
    .await
}

/// Removes `username` from the package's owners in the caller's transaction, with its audit
/// entry; the last owner stays. The caller has checked [`PackageAction::ManageOwners`].
pub(crate) async fn unset_owner(conn: &mut Conn, ctx: &Ctx, pkg: &Package, username: &str) -> Result<()> {
    let user = trove_db::users::find_by_username(conn, username)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("user `{username}` not found")))?;
    let role = trove_db::owners::role_of(conn, pkg.id, user.id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("`{username}` is not an owner of `{}`", pkg.full_name())))?;
    if role == OwnerRole::Owner && trove_db::owners::count_role(conn, pkg.id, OwnerRole::Owner).await? <= 1 {
        return Err(ServiceError::conflict(
            "last_owner",
            format!("`{username}` is the last owner of `{}`", pkg.full_name()),
        ));
    }
    trove_db::owners::remove(conn, pkg.id, user.id).await?;
    audit::record(
        conn,
        ctx,
        "owner.remove",
        &format!("{}:{username}", pkg.full_name()),
        Some(pkg.namespace_id),
        serde_json::json!({
            "role": role,
        }),
    )
    .await
}
