//! Read models for the web UI's pages, built on the same access rules as the API: private
//! packages are left out (or 404) for callers who may not read them.

use crate::packages::OwnerView;
use crate::stats::PackageStats;
use crate::views::{PackageView, VersionView};
use crate::{Ctx, Result, ServiceError};
use std::collections::{BTreeMap, HashSet};
use trove_core::time::rfc3339;
use trove_core::TokenScope;
use trove_db::packages::Package;
use trove_db::Conn;

sub_service!(
    /// What the web UI's pages show, gathered in one call each.
    Pages,
    pages
);

/// Most dependents listed on a package page.
pub const DEPENDENTS_LIMIT: i64 = 50;

/// Everything a package page shows.
#[derive(Debug, Clone)]
pub struct PackagePage {
    pub package: PackageView,
    /// Newest first (by the ecosystem's order; most recently pushed tag for OCI).
    pub versions: Vec<VersionView>,
    /// Each version's own README, by version (versions without one are left out).
    pub readmes: std::collections::HashMap<String, String>,
    pub owners: Vec<OwnerView>,
    pub dependents: Vec<Dependent>,
    /// Download statistics (native packages).
    pub stats: Option<PackageStats>,
    /// Whether the package's namespace is an organization.
    pub namespace_is_org: bool,
    /// Each version's distribution files (a PyPI release's sdist and wheels), in upload
    /// order, by version; empty for other ecosystems, whose versions have one archive.
    pub files: std::collections::HashMap<String, Vec<crate::packages::FileView>>,
}

/// A package whose latest version depends on another.
#[derive(Debug, Clone)]
pub struct Dependent {
    pub full_name: String,
    pub scope: String,
    pub name: String,
    pub description: Option<String>,
    pub latest_version: Option<String>,
    pub requirement: String,
}

/// A user's or an organization's public profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub is_org: bool,
    pub description: Option<String>,
    pub created_at: String,
    /// Site admin (users only).
    pub admin: bool,
    /// Organization members (organizations only).
    pub members: Vec<crate::orgs::MemberView>,
    /// Organizations the user belongs to, with their role (users only).
    pub orgs: Vec<(String, String)>,
    /// Packages of the namespace the caller can see.
    pub packages: Vec<PackageView>,
}

impl Pages<'_> {
    /// A package page: the package (of any ecosystem, native first) with its versions (an
    /// OCI repository's tags), owners, dependents and download statistics; 404 when the
    /// caller can't see it.
    pub async fn package_page(&self, ctx: &Ctx, scope: &str, name: &str) -> Result<PackagePage> {
        let mut conn = self.db.conn().await?;
        let pkg = self.visible_package_any(&mut conn, ctx, scope, name).await?;
        let mut readmes = std::collections::HashMap::new();
        let mut files: std::collections::HashMap<String, Vec<crate::packages::FileView>> = Default::default();
        let versions = if pkg.ecosystem == crate::oci::ECOSYSTEM {
            self.oci().tag_versions(&mut conn, &pkg).await?
        } else {
            let scans = crate::scans::VersionScans::load(self, &mut conn, ctx, &pkg).await?;
            let mut versions = trove_db::versions::list(&mut conn, pkg.id).await?;
            versions.retain(|v| !scans.hidden(v));
            crate::packages::sort_newest_first(pkg.ecosystem, &mut versions);
            for v in &versions {
                if let Some(r) = v.readme.as_ref().filter(|r| !r.trim().is_empty()) {
                    readmes.insert(v.version.clone(), r.clone());
                }
            }
            if pkg.ecosystem == trove_core::Ecosystem::Pypi {
                let by_id: std::collections::HashMap<i64, &str> =
                    versions.iter().map(|v| (v.id, v.version.as_str())).collect();
                for f in trove_db::version_files::list_for_package(&mut conn, pkg.id).await? {
                    let view = crate::packages::FileView::from(&f);
                    // A wheel's `{file}.metadata` companion (PEP 658) is not a distribution.
                    if !matches!(view.kind, trove_core::FileKind::Sdist | trove_core::FileKind::Wheel) {
                        continue;
                    }
                    if let Some(v) = by_id.get(&f.version_id) {
                        files.entry(v.to_string()).or_default().push(view);
                    }
                }
            }
            versions
                .iter()
                .map(|v| {
                    let mut view = crate::views::version_view(&pkg, v);
                    view.scan = scans.view(v);
                    view
                })
                .collect()
        };
        let owners = trove_db::owners::list(&mut conn, pkg.id)
            .await?
            .into_iter()
            .map(|o| OwnerView {
                username: o.username,
                role: o.role.to_string(),
                since: rfc3339(o.created_at),
            })
            .collect();
        let dependents = self.dependents_of(&mut conn, ctx, &pkg).await?;
        let namespace_is_org = trove_db::namespaces::find_by_id(&mut conn, pkg.namespace_id)
            .await?
            .is_some_and(|n| n.is_org());
        drop(conn);
        // OCI repositories too: their pulls are counted like native downloads.
        let stats = Some(self.stats().package_stats(ctx, &pkg.scope, &pkg.name).await?);
        Ok(PackagePage {
            package: crate::views::package_view(&pkg),
            versions,
            readmes,
            owners,
            dependents,
            stats,
            namespace_is_org,
            files,
        })
    }

    /// Packages of its ecosystem the caller can see whose latest version depends on `pkg`.
    async fn dependents_of(&self, conn: &mut Conn, ctx: &Ctx, pkg: &Package) -> Result<Vec<Dependent>> {
        if pkg.ecosystem == trove_core::Ecosystem::Oci {
            return Ok(Vec::new());
        }
        let target = trove_core::name::normalize(&pkg.full_name());
        let mut out = Vec::new();
        for (id, deps) in trove_db::dependents::candidates(conn, &pkg.full_name(), DEPENDENTS_LIMIT).await? {
            let deps: BTreeMap<String, String> = serde_json::from_str(&deps).unwrap_or_default();
            let Some(req) = deps
                .iter()
                .find(|(k, _)| trove_core::name::normalize(k) == target)
                .map(|(_, v)| v.clone())
            else {
                continue;
            };
            let Some(p) = trove_db::packages::find_by_id(conn, id).await? else {
                continue;
            };
            if p.id == pkg.id || p.ecosystem != pkg.ecosystem || !self.can_read(conn, ctx, &p).await? {
                continue;
            }
            out.push(Dependent {
                full_name: p.full_name(),
                scope: p.scope.clone(),
                name: p.name.clone(),
                description: p.description.clone(),
                latest_version: p.latest_version.clone(),
                requirement: req,
            });
        }
        Ok(out)
    }

    /// The public profile of a user or an organization, with the packages the caller can see.
    pub async fn profile(&self, ctx: &Ctx, name: &str) -> Result<Profile> {
        let mut conn = self.db.conn().await?;
        let ns = trove_db::namespaces::find(&mut conn, name)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("no user or organization is called `{name}`")))?;
        let mut packages = Vec::new();
        for p in trove_db::packages::list_in_namespace(&mut conn, ns.id).await? {
            if self.can_read(&mut conn, ctx, &p).await? {
                packages.push(crate::views::package_view(&p));
            }
        }
        let mut profile = Profile {
            name: ns.name.clone(),
            is_org: ns.is_org(),
            description: ns.description.clone(),
            created_at: rfc3339(ns.created_at),
            admin: false,
            members: Vec::new(),
            orgs: Vec::new(),
            packages,
        };
        if ns.is_org() {
            drop(conn);
            profile.members = self.orgs().get_org(&ns.name).await?.members;
        } else if let Some(user_id) = ns.user_id {
            if let Some(u) = trove_db::users::find_by_id(&mut conn, user_id).await? {
                profile.admin = u.admin();
            }
            drop(conn);
            profile.orgs = self.orgs().orgs_of(user_id).await?;
        }
        Ok(profile)
    }

    /// The caller's packages: those in their own namespace and their organizations', and
    /// those they own or maintain elsewhere. Sorted by name.
    pub async fn my_packages(&self, ctx: &Ctx) -> Result<Vec<PackageView>> {
        let p = ctx.require()?;
        let mut conn = self.db.conn().await?;
        let mut namespaces = Vec::new();
        if let Some(ns) = trove_db::namespaces::find(&mut conn, &p.user.username).await? {
            namespaces.push(ns.id);
        }
        for (ns, _) in trove_db::namespaces::orgs_of_user(&mut conn, p.user.id).await? {
            namespaces.push(ns.id);
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for ns in namespaces {
            for pkg in trove_db::packages::list_in_namespace(&mut conn, ns).await? {
                if seen.insert(pkg.id) && self.can_read(&mut conn, ctx, &pkg).await? {
                    out.push(crate::views::package_view(&pkg));
                }
            }
        }
        for id in trove_db::search::owned_packages(&mut conn, p.user.id).await? {
            if !seen.insert(id) {
                continue;
            }
            if let Some(pkg) = trove_db::packages::find_by_id(&mut conn, id).await? {
                if self.can_read(&mut conn, ctx, &pkg).await? {
                    out.push(crate::views::package_view(&pkg));
                }
            }
        }
        out.sort_by(|a, b| {
            a.full_name
                .cmp(&b.full_name)
                .then(a.ecosystem.as_str().cmp(b.ecosystem.as_str()))
        });
        Ok(out)
    }

    /// Every account, by id, for site admins: a page of users and the total count.
    pub async fn admin_list_users(&self, ctx: &Ctx, limit: i64, offset: i64) -> Result<(Vec<crate::Account>, i64)> {
        ctx.require_scope(TokenScope::Admin)?;
        if !ctx.is_site_admin() {
            return Err(ServiceError::forbidden("only site admins may list accounts"));
        }
        let mut conn = self.db.conn().await?;
        let users = trove_db::users::list(&mut conn, limit.clamp(1, 500), offset.max(0)).await?;
        let total = trove_db::users::count(&mut conn).await?;
        Ok((users.into_iter().map(Into::into).collect(), total))
    }
}

/// What the caller may change on a package, decided by the same rules the API applies
/// (`authorize_package`): the web UI shows its management page and forms from this.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackagePermissions {
    /// Yank, deprecate and delete versions (namespace `write` or more, or any package role).
    pub versions: bool,
    /// Change the visibility and the owners (namespace `admin` or more, or package `owner`).
    pub owners: bool,
}

impl Pages<'_> {
    /// What the caller may change on a package they can see; 404 when they can't see it.
    /// Anonymous callers may change nothing.
    pub async fn package_permissions(&self, ctx: &Ctx, scope: &str, name: &str) -> Result<PackagePermissions> {
        use crate::access::PackageAction;
        let mut conn = self.db.conn().await?;
        let pkg = self.visible_package_any(&mut conn, ctx, scope, name).await?;
        if ctx.principal.is_none() {
            return Ok(PackagePermissions::default());
        }
        let mut allowed = [false; 2];
        for (i, action) in [PackageAction::Yank, PackageAction::ManageOwners]
            .into_iter()
            .enumerate()
        {
            allowed[i] = match self.authorize_package(&mut conn, ctx, &pkg, action).await {
                Ok(_) => true,
                Err(e) if matches!(e.kind, crate::ErrorKind::Forbidden | crate::ErrorKind::Unauthenticated) => false,
                Err(e) => return Err(e),
            };
        }
        Ok(PackagePermissions {
            versions: allowed[0],
            owners: allowed[1],
        })
    }
}
