//! Cargo registries: every namespace is one (`/cargo/{scope}/index/`). What the shared
//! package use cases do not cover lives here: a registry's settings (`auth-required`).

use crate::access::{namespace_role, Role};
use crate::{audit, Ctx, Result, ServiceError};
use serde::Serialize;
use trove_core::now_ms;
use trove_db::namespaces::Namespace;

sub_service!(
    /// Cargo registries: per-namespace settings.
    Cargo,
    cargo
);

/// A namespace's Cargo registry.
#[derive(Debug, Clone, Serialize)]
pub struct RegistryView {
    /// The namespace's id (what searches of this registry filter on).
    #[serde(skip)]
    pub namespace_id: i64,
    /// The namespace's name as registered.
    pub scope: String,
    /// Cargo must send its token for the index and downloads too, and new crates are private.
    pub auth_required: bool,
}

impl crate::cargo::Cargo<'_> {
    /// The registry of `scope`; 404 when no such namespace exists.
    pub async fn registry(&self, scope: &str) -> Result<RegistryView> {
        let mut conn = self.db.conn().await?;
        let ns = find_namespace(&mut conn, scope).await?;
        let auth_required = trove_db::cargo_registries::auth_required(&mut conn, ns.id).await?;
        Ok(RegistryView {
            namespace_id: ns.id,
            scope: ns.name,
            auth_required,
        })
    }

    /// Makes the registry require a token (or not). Namespace admins and site admins only;
    /// others are told the namespace does not exist unless they belong to it.
    pub async fn set_auth_required(&self, ctx: &Ctx, scope: &str, required: bool) -> Result<RegistryView> {
        let p = ctx.require_scope(trove_core::TokenScope::Admin)?;
        let mut tx = self.db.write().await?;
        let ns = find_namespace(&mut tx, scope).await?;
        let role = namespace_role(&mut tx, &p.user, &ns).await?;
        if !p.user.admin() && role.is_none_or(|r| r < Role::Admin) {
            return Err(ServiceError::forbidden(format!(
                "you may not change the settings of the `{}` namespace",
                ns.name
            )));
        }
        trove_db::cargo_registries::set_auth_required(&mut tx, ns.id, required, now_ms()).await?;
        let data = serde_json::json!({ "auth_required": required });
        audit::record(&mut tx, ctx, "cargo.registry", &ns.name, Some(ns.id), data).await?;
        tx.commit().await?;
        Ok(RegistryView {
            namespace_id: ns.id,
            scope: ns.name,
            auth_required: required,
        })
    }
}

async fn find_namespace(conn: &mut trove_db::Conn, scope: &str) -> Result<Namespace> {
    trove_db::namespaces::find(conn, scope)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("namespace `{scope}` not found")))
}
