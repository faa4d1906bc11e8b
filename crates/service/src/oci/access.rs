//! Which repository a request is about, and whether the caller may act on it. Reads of
//! things the caller cannot see look like missing repositories (`NAME_UNKNOWN`), except for
//! anonymous callers, who are asked to log in (401) so that clients can authenticate.

use super::{codes, OciAction, RepoName, ECOSYSTEM};
use crate::access::PackageAction;
use crate::{audit, Ctx, ErrorKind, Result, ServiceError};
use trove_core::now_ms;
use trove_db::packages::Package;
use trove_db::Conn;

fn name_unknown(repo: &RepoName) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        codes::NAME_UNKNOWN,
        format!("repository `{repo}` is not known to this registry"),
    )
}

/// 401 for anonymous callers, `NAME_UNKNOWN` for the others.
pub(super) fn hidden(ctx: &Ctx, repo: &RepoName) -> ServiceError {
    if ctx.principal.is_none() {
        ServiceError::unauthenticated(format!("authentication required to access `{repo}`"))
    } else {
        name_unknown(repo)
    }
}

impl crate::oci::Oci<'_> {
    /// Loads the repository for `action`. Pushing to a repository that does not exist yet
    /// creates it (the namespace must exist and the caller must be allowed to publish there).
    pub(crate) async fn repo(&self, ctx: &Ctx, repo: &RepoName, action: OciAction) -> Result<Package> {
        let mut conn = self.db.conn().await?;
        let existing = trove_db::packages::find(&mut conn, ECOSYSTEM, repo.scope(), repo.name()).await?;
        match (existing, action) {
            (Some(pkg), _) => {
                self.oci_authorize(&mut conn, ctx, repo, &pkg, action).await?;
                Ok(pkg)
            }
            (None, OciAction::Push) => {
                drop(conn);
                self.oci_create_repo(ctx, repo).await
            }
            (None, _) => Err(hidden(ctx, repo)),
        }
    }

    /// Checks the caller may push to the repository, without creating it: the same answer a
    /// push gets (401, `DENIED`, `NAME_UNKNOWN`), given before a request body is read or
    /// validated.
    pub async fn check_push(&self, ctx: &Ctx, repo: &RepoName) -> Result<()> {
        let mut conn = self.db.conn().await?;
        match trove_db::packages::find(&mut conn, ECOSYSTEM, repo.scope(), repo.name()).await? {
            Some(pkg) => self.oci_authorize(&mut conn, ctx, repo, &pkg, OciAction::Push).await,
            None => self.oci_may_create(&mut conn, ctx, repo).await.map(|_| ()),
        }
    }

    /// Checks `action` on an existing repository.
    async fn oci_authorize(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        repo: &RepoName,
        pkg: &Package,
        action: OciAction,
    ) -> Result<()> {
        let readable = self.can_read(conn, ctx, pkg).await?;
        match action {
            OciAction::Pull if readable => Ok(()),
            OciAction::Pull => Err(hidden(ctx, repo)),
            OciAction::Delete if !readable => Err(hidden(ctx, repo)),
            OciAction::Push | OciAction::Delete => {
                if !readable {
                    // Someone else's private repository answers a push exactly as a missing
                    // one does: the checks a first push gets (logged in, may create
                    // repositories in the namespace). A caller who passes them is checked on
                    // the repository itself below.
                    self.oci_may_create(conn, ctx, repo).await?;
                }
                let needed = if action == OciAction::Push {
                    PackageAction::Publish
                } else {
                    PackageAction::Yank
                };
                self.authorize_package(conn, ctx, pkg, needed).await.map(|_| ())
            }
        }
    }

    /// Creates a repository on its first push (public, owned by the pusher). Concurrent
    /// first pushes (clients upload layers in parallel) all end up with the one repository.
    async fn oci_create_repo(&self, ctx: &Ctx, repo: &RepoName) -> Result<Package> {
        match self.oci_insert_repo(ctx, repo).await {
            Err(e) if e.code == "repository_exists" => {
                let mut conn = self.db.conn().await?;
                let pkg = trove_db::packages::find(&mut conn, ECOSYSTEM, repo.scope(), repo.name())
                    .await?
                    .ok_or_else(|| ServiceError::internal("repository vanished"))?;
                self.oci_authorize(&mut conn, ctx, repo, &pkg, OciAction::Push).await?;
                Ok(pkg)
            }
            other => other,
        }
    }

    /// The checks a push to a repository that does not exist gets: a caller, an existing
    /// namespace, and the right to create packages there. Private repositories the caller
    /// cannot see get the same checks, so both answer alike.
    async fn oci_may_create(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        repo: &RepoName,
    ) -> Result<trove_db::namespaces::Namespace> {
        ctx.require()?;
        let ns = trove_db::namespaces::find(conn, repo.scope()).await?.ok_or_else(|| {
            ServiceError::new(
                ErrorKind::NotFound,
                codes::NAME_UNKNOWN,
                format!(
                    "namespace `{}` does not exist: repository names start with a user or organization name",
                    repo.scope()
                ),
            )
        })?;
        self.authorize_namespace_publish(conn, ctx, &ns, repo.as_str()).await?;
        Ok(ns)
    }

    async fn oci_insert_repo(&self, ctx: &Ctx, repo: &RepoName) -> Result<Package> {
        let principal = ctx.require()?;
        let mut tx = self.db.write().await?;
        if let Some(pkg) = trove_db::packages::find(&mut tx, ECOSYSTEM, repo.scope(), repo.name()).await? {
            self.oci_authorize(&mut tx, ctx, repo, &pkg, OciAction::Push).await?;
            return Ok(pkg);
        }
        let ns = self.oci_may_create(&mut tx, ctx, repo).await?;
        let now = now_ms();
        let id = trove_db::packages::insert(
            &mut tx,
            trove_db::packages::NewPackage {
                namespace_id: ns.id,
                name: repo.name(),
                ecosystem: ECOSYSTEM,
                kind: "other",
                visibility: "public",
                now,
            },
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                ServiceError::conflict("repository_exists", format!("`{repo}` was created concurrently"))
            } else {
                e.into()
            }
        })?;
        trove_db::owners::upsert(&mut tx, id, principal.user.id, trove_core::OwnerRole::Owner, now).await?;
        audit::record(
            &mut tx,
            ctx,
            "oci.repository.create",
            repo.as_str(),
            Some(ns.id),
            serde_json::json!({}),
        )
        .await?;
        let pkg = trove_db::packages::find_by_id(&mut tx, id)
            .await?
            .ok_or_else(|| ServiceError::internal("repository vanished"))?;
        tx.commit().await?;
        self.search().reindex_package(pkg.id).await;
        tracing::info!(repository = %repo, "oci repository created");
        Ok(pkg)
    }

    /// Whether the caller may do `action` on the repository (for the token service, which
    /// grants only what would be allowed). Pull is also granted on a repository the caller
    /// could create, so that a first push can check for existing blobs.
    pub async fn allowed(&self, ctx: &Ctx, repo: &RepoName, action: OciAction) -> Result<bool> {
        let mut conn = self.db.conn().await?;
        let existing = trove_db::packages::find(&mut conn, ECOSYSTEM, repo.scope(), repo.name()).await?;
        let result = match existing {
            Some(pkg) => self.oci_authorize(&mut conn, ctx, repo, &pkg, action).await,
            None if action == OciAction::Delete => return Ok(false),
            None => {
                let Some(ns) = trove_db::namespaces::find(&mut conn, repo.scope()).await? else {
                    return Ok(false);
                };
                self.authorize_namespace_publish(&mut conn, ctx, &ns, repo.as_str())
                    .await
                    .map(|_| ())
            }
        };
        match result {
            Ok(()) => Ok(true),
            Err(e) if matches!(e.kind, ErrorKind::Unavailable | ErrorKind::Internal) => Err(e),
            Err(_) => Ok(false),
        }
    }
}
