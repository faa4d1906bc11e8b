//! What the API shows: the wire types of `trove-wire`, under the names the service's callers
//! use, and how they are built from database rows (functions, since the orphan rule forbids
//! `From` impls between two foreign types).

use trove_core::time::rfc3339;
use trove_db::packages::Package;
use trove_db::versions::Version;

pub use trove_wire::{
    AuditEvent as AuditEventView, Package as PackageView, Totals, User as UserView, Version as VersionView,
};

/// A package as the API shows it.
pub fn package_view(p: &Package) -> PackageView {
    PackageView {
        scope: p.scope.clone(),
        name: p.name.clone(),
        full_name: p.full_name(),
        ecosystem: p.ecosystem,
        kind: p.kind,
        visibility: p.visibility,
        description: p.description.clone(),
        license: p.license.clone(),
        keywords: p.keywords.clone(),
        categories: p.categories.clone(),
        homepage: p.homepage.clone(),
        repository: p.repository.clone(),
        readme: p.readme.clone(),
        latest_version: p.latest_version.clone(),
        downloads: p.downloads,
        created_at: rfc3339(p.created_at),
        updated_at: rfc3339(p.updated_at),
    }
}

/// A native version as the API shows it.
pub fn version_view(p: &Package, v: &Version) -> VersionView {
    let full = p.full_name();
    VersionView {
        download_url: format!("/api/v1/packages/{full}/versions/{}/download", v.version),
        package: full,
        version: v.version.clone(),
        digest: v.digest.clone(),
        size: v.size,
        dependencies: serde_json::from_str(&v.dependencies).unwrap_or_default(),
        yanked: v.is_yanked(),
        yanked_at: v.yanked_at.map(rfc3339),
        yank_reason: v.yank_reason.clone(),
        deprecated: v.deprecated.clone(),
        publisher: v.publisher.clone(),
        downloads: v.downloads,
        created_at: rfc3339(v.created_at),
        manifest: serde_json::from_str(&v.manifest).unwrap_or_default(),
        // Filled by the reads that load scans (`scans::VersionScans`).
        scan: None,
    }
}

/// A user account as the API shows it.
pub fn user_view(u: &crate::Account) -> UserView {
    UserView {
        username: u.username.clone(),
        email: u.email.clone(),
        admin: u.admin(),
        created_at: rfc3339(u.created_at),
    }
}

/// An audit log entry as the API shows it.
pub fn audit_event_view(e: trove_db::audit::AuditEvent) -> AuditEventView {
    AuditEventView {
        id: e.id,
        at: rfc3339(e.at),
        actor: e.actor,
        action: e.action,
        target: e.target,
        ip: e.ip,
        details: serde_json::from_str(&e.details).unwrap_or_default(),
    }
}

/// Registry totals as the API shows them.
pub fn totals_view(t: trove_db::stats::Totals) -> Totals {
    Totals {
        packages: t.packages,
        versions: t.versions,
        downloads: t.downloads,
        users: t.users,
    }
}
