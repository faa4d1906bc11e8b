//! Organizations and their members.

use crate::access::{namespace_role, Role};
use crate::{audit, Ctx, Result, ServiceError};
use trove_core::{now_ms, time::rfc3339, ScopeName, TokenScope};
use trove_db::namespaces::Namespace;
use trove_db::Conn;

sub_service!(
    /// Organizations and their members.
    Orgs,
    orgs
);

pub use trove_wire::{Member as MemberView, Org as OrgView};

async fn find_org(conn: &mut Conn, name: &str) -> Result<Namespace> {
    trove_db::namespaces::find(conn, name)
        .await?
        .filter(|n| n.is_org())
        .ok_or_else(|| ServiceError::not_found(format!("organization `{name}` not found")))
}

async fn members(conn: &mut Conn, ns: &Namespace) -> Result<Vec<MemberView>> {
    Ok(trove_db::namespaces::members(conn, ns.id)
        .await?
        .into_iter()
        .map(|m| MemberView {
            username: m.username,
            role: m.role.to_string(),
            since: rfc3339(m.created_at),
        })
        .collect())
}

impl Orgs<'_> {
    /// Creates an organization; its creator becomes its first owner.
    pub async fn create_org(&self, ctx: &Ctx, name: &str, description: Option<&str>) -> Result<OrgView> {
        let p = ctx.require_scope(TokenScope::Owners)?;
        ScopeName::parse(name).map_err(|e| ServiceError::unprocessable("invalid_name", e.to_string()))?;
        if description.is_some_and(|d| d.len() > trove_wire::limits::ORG_DESCRIPTION_MAX_LEN) {
            return Err(ServiceError::unprocessable(
                "invalid_description",
                format!(
                    "the description is longer than {} characters",
                    trove_wire::limits::ORG_DESCRIPTION_MAX_LEN
                ),
            ));
        }
        let now = now_ms();
        let taken = || ServiceError::conflict("name_taken", format!("the name `{name}` is already taken"));
        let mut tx = self.db.write().await?;
        if trove_db::namespaces::find(&mut tx, name).await?.is_some() {
            return Err(taken());
        }
        let id = trove_db::namespaces::insert(&mut tx, name, trove_core::NamespaceKind::Org, None, description, now)
            .await
            .map_err(|e| if e.is_unique_violation() { taken() } else { e.into() })?;
        trove_db::namespaces::upsert_member(&mut tx, id, p.user.id, Role::Owner, now).await?;
        audit::record(&mut tx, ctx, "org.create", name, Some(id), serde_json::json!({})).await?;
        let ns = trove_db::namespaces::find_by_id(&mut tx, id)
            .await?
            .ok_or_else(|| ServiceError::internal("org vanished"))?;
        let view = OrgView {
            name: ns.name.clone(),
            description: ns.description.clone(),
            created_at: rfc3339(ns.created_at),
            members: members(&mut tx, &ns).await?,
        };
        tx.commit().await?;
        Ok(view)
    }

    /// Organizations and their member lists are public.
    pub async fn get_org(&self, name: &str) -> Result<OrgView> {
        let mut conn = self.db.conn().await?;
        let ns = find_org(&mut conn, name).await?;
        Ok(OrgView {
            name: ns.name.clone(),
            description: ns.description.clone(),
            created_at: rfc3339(ns.created_at),
            members: members(&mut conn, &ns).await?,
        })
    }

    /// Adds a member or changes a role. Org admins manage members; only owners grant or
    /// take away `owner`.
    pub async fn set_member(&self, ctx: &Ctx, org: &str, username: &str, role: &str) -> Result<Vec<MemberView>> {
        let p = ctx.require_scope(TokenScope::Owners)?;
        let new_role = role.parse::<Role>().ok().ok_or_else(|| {
            ServiceError::unprocessable(
                "invalid_role",
                format!("unknown role `{role}`: use owner, admin, write or read"),
            )
        })?;
        let mut tx = self.db.write().await?;
        let ns = find_org(&mut tx, org).await?;
        let my_role = if p.user.admin() {
            Some(Role::Owner)
        } else {
            namespace_role(&mut tx, &p.user, &ns).await?
        };
        let target = trove_db::users::find_by_username(&mut tx, username)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("user `{username}` not found")))?;
        let current = trove_db::namespaces::member_role(&mut tx, ns.id, target.id).await?;
        match my_role {
            Some(Role::Owner) => {}
            Some(Role::Admin) if new_role != Role::Owner && current != Some(Role::Owner) => {}
            Some(_) => {
                return Err(ServiceError::forbidden(format!(
                    "you may not change `{username}`'s role in `{org}`"
                )))
            }
            None => return Err(ServiceError::forbidden(format!("you are not a member of `{org}`"))),
        }
        if current == Some(Role::Owner)
            && new_role != Role::Owner
            && trove_db::namespaces::count_role(&mut tx, ns.id, Role::Owner).await? <= 1
        {
            return Err(ServiceError::conflict(
                "last_owner",
                format!("`{username}` is the last owner of `{org}`"),
            ));
        }
        trove_db::namespaces::upsert_member(&mut tx, ns.id, target.id, new_role, now_ms()).await?;
        audit::record(
            &mut tx,
            ctx,
            "org.member.set",
            &format!("{org}:{username}"),
            Some(ns.id),
            serde_json::json!({
                "role": new_role.as_str(), "previous": current.map(Role::as_str),
            }),
        )
        .await?;
        let list = members(&mut tx, &ns).await?;
        tx.commit().await?;
        let data = serde_json::json!({
            "action": "set", "username": target.username, "role": new_role.as_str(),
            "previous": current.map(Role::as_str),
        });
        self.webhooks()
            .emit_event(ctx, ns.id, "membership", None, None, data)
            .await;
        Ok(list)
    }

    pub async fn remove_member(&self, ctx: &Ctx, org: &str, username: &str) -> Result<()> {
        let p = ctx.require_scope(TokenScope::Owners)?;
        let mut tx = self.db.write().await?;
        let ns = find_org(&mut tx, org).await?;
        let target = trove_db::users::find_by_username(&mut tx, username)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("user `{username}` not found")))?;
        let current = trove_db::namespaces::member_role(&mut tx, ns.id, target.id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("`{username}` is not a member of `{org}`")))?;
        let my_role = if p.user.admin() {
            Some(Role::Owner)
        } else {
            namespace_role(&mut tx, &p.user, &ns).await?
        };
        let leaving_self = target.id == p.user.id;
        let allowed =
            leaving_self || my_role == Some(Role::Owner) || (my_role == Some(Role::Admin) && current != Role::Owner);
        if !allowed {
            return Err(ServiceError::forbidden(format!(
                "you may not remove `{username}` from `{org}`"
            )));
        }
        if current == Role::Owner && trove_db::namespaces::count_role(&mut tx, ns.id, Role::Owner).await? <= 1 {
            return Err(ServiceError::conflict(
                "last_owner",
                format!("`{username}` is the last owner of `{org}`"),
            ));
        }
        trove_db::namespaces::remove_member(&mut tx, ns.id, target.id).await?;
        audit::record(
            &mut tx,
            ctx,
            "org.member.remove",
            &format!("{org}:{username}"),
            Some(ns.id),
            serde_json::json!({
                "role": current.as_str(),
            }),
        )
        .await?;
        tx.commit().await?;
        let data = serde_json::json!({
            "action": "remove", "username": target.username, "role": current.as_str(),
        });
        self.webhooks()
            .emit_event(ctx, ns.id, "membership", None, None, data)
            .await;
        Ok(())
    }
}

impl Orgs<'_> {
    /// The organizations a user belongs to, with their role.
    pub async fn orgs_of(&self, user_id: i64) -> Result<Vec<(String, String)>> {
        let mut conn = self.db.conn().await?;
        Ok(trove_db::namespaces::orgs_of_user(&mut conn, user_id)
            .await?
            .into_iter()
            .map(|(ns, role)| (ns.name, role.to_string()))
            .collect())
    }
}
