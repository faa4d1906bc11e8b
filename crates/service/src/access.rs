//! Who may do what. Private things are 404 to those who may not read them.

use crate::auth::Account;
use crate::{Ctx, Principal, Result, ServiceError, Services};
use trove_core::TokenScope;
use trove_db::namespaces::Namespace;
use trove_db::packages::Package;
use trove_db::Conn;

/// A role in a namespace (weakest first). For a user's own namespace the user is `Owner`.
pub use trove_core::OrgRole as Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageAction {
    Read,
    Publish,
    Yank,
    ManageOwners,
}

impl PackageAction {
    fn scope(self) -> TokenScope {
        match self {
            PackageAction::Read => TokenScope::Read,
            PackageAction::Publish => TokenScope::Publish,
            PackageAction::Yank => TokenScope::Yank,
            PackageAction::ManageOwners => TokenScope::Owners,
        }
    }
    fn verb(self) -> &'static str {
        match self {
            PackageAction::Read => "read",
            PackageAction::Publish => "publish to",
            PackageAction::Yank => "yank, deprecate or delete versions of",
            PackageAction::ManageOwners => "manage the owners of",
        }
    }
}

/// The user's role in a namespace, if any.
pub async fn namespace_role(conn: &mut Conn, user: &Account, ns: &Namespace) -> Result<Option<Role>> {
    if ns.user_id == Some(user.id) {
        return Ok(Some(Role::Owner));
    }
    if !ns.is_org() {
        return Ok(None);
    }
    Ok(trove_db::namespaces::member_role(conn, ns.id, user.id).await?)
}

/// Whether the user may do `action` on the package, ignoring token scopes.
pub(crate) async fn user_may(conn: &mut Conn, user: &Account, pkg: &Package, action: PackageAction) -> Result<bool> {
    if user.admin() {
        return Ok(true);
    }
    let ns = trove_db::namespaces::find_by_id(conn, pkg.namespace_id)
        .await?
        .ok_or_else(|| ServiceError::internal("package without namespace"))?;
    let ns_role = namespace_role(conn, user, &ns).await?;
    let pkg_role = trove_db::owners::role_of(conn, pkg.id, user.id).await?;
    Ok(match action {
        PackageAction::Read => ns_role.is_some() || pkg_role.is_some(),
        PackageAction::Publish | PackageAction::Yank => ns_role.is_some_and(|r| r >= Role::Write) || pkg_role.is_some(),
        PackageAction::ManageOwners => {
            ns_role.is_some_and(|r| r >= Role::Admin) || pkg_role == Some(trove_core::OwnerRole::Owner)
        }
    })
}

impl Services {
    /// Whether the caller can see the package at all.
    pub async fn can_read(&self, conn: &mut Conn, ctx: &Ctx, pkg: &Package) -> Result<bool> {
        if !pkg.is_private() {
            return Ok(true);
        }
        let Some(p) = &ctx.principal else {
            return Ok(false);
        };
        if !p.has_scope(TokenScope::Read) || !p.matches_package(&pkg.full_name()) {
            return Ok(false);
        }
        user_may(conn, &p.user, pkg, PackageAction::Read).await
    }

    /// Loads a package the caller can see; 404 otherwise (private packages don't leak).
    pub async fn visible_package(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        ecosystem: &str,
        scope: &str,
        name: &str,
    ) -> Result<Package> {
        let not_found = || ServiceError::not_found(format!("package `{scope}/{name}` not found"));
        let pkg = trove_db::packages::find(conn, ecosystem, scope, name)
            .await?
            .ok_or_else(not_found)?;
        if !self.can_read(conn, ctx, &pkg).await? {
            return Err(not_found());
        }
        Ok(pkg)
    }

    /// A package the caller can see by its name alone: native first, else an OCI repository,
    /// else an npm, Cargo or PyPI package of that name (404 when none is visible).
    pub async fn visible_package_any(&self, conn: &mut Conn, ctx: &Ctx, scope: &str, name: &str) -> Result<Package> {
        // Native first, then an OCI repository, then the protocol front-ends' packages.
        let mut missing = None;
        for eco in trove_core::Ecosystem::ALL {
            match self.visible_package(conn, ctx, eco.as_str(), scope, name).await {
                Err(e) if e.kind == crate::ErrorKind::NotFound => {
                    missing.get_or_insert(e);
                }
                other => return other,
            }
        }
        Err(missing.unwrap_or_else(|| ServiceError::not_found(format!("package `{scope}/{name}` not found"))))
    }

    /// Checks the caller may do `action` on a package they can see: 401 when anonymous,
    /// 403 for a missing scope, a token pattern that excludes it, or a missing role.
    pub async fn authorize_package<'c>(
        &self,
        conn: &mut Conn,
        ctx: &'c Ctx,
        pkg: &Package,
        action: PackageAction,
    ) -> Result<&'c Principal> {
        let p = ctx.require_scope(action.scope())?;
        let full = pkg.full_name();
        if !p.matches_package(&full) {
            return Err(ServiceError::new(
                crate::ErrorKind::Forbidden,
                "token_pattern_mismatch",
                format!("this token is limited to other packages than `{full}`"),
            ));
        }
        if !user_may(conn, &p.user, pkg, action).await? {
            return Err(ServiceError::forbidden(format!(
                "you may not {} `{full}`",
                action.verb()
            )));
        }
        Ok(p)
    }

    /// Checks the caller may create packages in a namespace (role `write` or more).
    pub async fn authorize_namespace_publish<'c>(
        &self,
        conn: &mut Conn,
        ctx: &'c Ctx,
        ns: &Namespace,
        full_name: &str,
    ) -> Result<&'c Principal> {
        let p = ctx.require_scope(TokenScope::Publish)?;
        if !p.matches_package(full_name) {
            return Err(ServiceError::new(
                crate::ErrorKind::Forbidden,
                "token_pattern_mismatch",
                format!("this token is limited to other packages than `{full_name}`"),
            ));
        }
        if p.user.admin()
            || namespace_role(conn, &p.user, ns)
                .await?
                .is_some_and(|r| r >= Role::Write)
        {
            return Ok(p);
        }
        Err(ServiceError::forbidden(format!(
            "you may not publish packages in the `{}` namespace",
            ns.name
        )))
    }
}
