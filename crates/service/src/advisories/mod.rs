//! Security advisories in the OSV schema (1.7), shared by every ecosystem.
//!
//! A local advisory (`TROVE-YYYY-N`, numbered per year in the creating transaction) belongs to
//! one Trove package and follows its privacy: a reader who cannot see the package gets what
//! a missing advisory gets. Owners and maintainers of the package (those who may yank it) and
//! site admins create, edit and withdraw advisories (never delete them); any signed-in user
//! who can see the package may report one, which waits in a review queue seen only by those
//! who may create them, until accepted (it becomes public) or rejected. Imported advisories
//! (`trove admin advisories import`, an OSV dump) belong to no package, are public and
//! read-only. Creating, accepting, editing and withdrawing are audited and emit the webhook
//! event `advisory`.

mod import;
mod lifecycle;
pub mod matching;
pub mod osv;
mod queries;
pub mod severity;

pub use import::ImportReport;
pub use queries::{ListQuery, OsvQuery};
pub use trove_wire::{
    Advisory as AdvisoryView, AdvisoryContent, AdvisoryWithdrawal, AffectedVersions, NewAdvisory, OsvCredit, OsvEvent,
    OsvRange, OsvReference, OsvSeverity,
};

use crate::access::PackageAction;
use crate::{Ctx, Result, ServiceError, Services};
use serde_json::Value;
use trove_core::Ecosystem;
use trove_db::advisories::Advisory;
use trove_db::packages::Package;
use trove_db::Conn;

sub_service!(
    /// Security advisories: OSV documents, their review, queries and imports.
    Advisories,
    advisories
);

/// The prefix of Trove's own advisory ids.
pub const ID_PREFIX: &str = "TROVE";

const REFERENCE_TYPES: &[&str] = &[
    "ADVISORY",
    "ARTICLE",
    "DETECTION",
    "DISCUSSION",
    "REPORT",
    "FIX",
    "INTRODUCED",
    "GIT",
    "PACKAGE",
    "EVIDENCE",
    "WEB",
];
const CREDIT_TYPES: &[&str] = &[
    "FINDER",
    "REPORTER",
    "ANALYST",
    "COORDINATOR",
    "REMEDIATION_DEVELOPER",
    "REMEDIATION_REVIEWER",
    "REMEDIATION_VERIFIER",
    "TOOL",
    "SPONSOR",
    "OTHER",
];
const MAX_DETAILS: usize = 64 * 1024;
const MAX_LIST: usize = 100;

pub(crate) fn not_found(id: &str) -> ServiceError {
    ServiceError::not_found(format!("advisory `{id}` not found"))
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::unprocessable("invalid_advisory", message)
}

/// Checks an advisory's content for a package of `eco` and returns it trimmed.
pub(crate) fn validate(eco: Ecosystem, mut c: AdvisoryContent) -> Result<AdvisoryContent> {
    c.summary = c.summary.trim().to_string();
    if c.summary.is_empty() || c.summary.chars().count() > 200 || c.summary.contains(['\n', '\r']) {
        return Err(invalid("the summary is one line of 1 to 200 characters"));
    }
    if c.details.len() > MAX_DETAILS {
        return Err(invalid(format!("the details are longer than {MAX_DETAILS} bytes")));
    }
    let id_like = |s: &str| {
        !s.is_empty()
            && s.len() <= 100
            && s.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.' | ':'))
    };
    if c.aliases.len() > MAX_LIST || c.aliases.iter().any(|a| !id_like(a)) {
        return Err(invalid(
            "aliases are ids such as CVE-2024-12345 or GHSA-xxxx-xxxx-xxxx (letters, digits, `-`, `_`, `.`, `:`)",
        ));
    }
    if c.severity.len() > 4 {
        return Err(invalid("at most 4 severities"));
    }
    for s in &c.severity {
        severity::score(&s.kind, &s.score).map_err(invalid)?;
    }
    if c.affected.is_empty() || c.affected.len() > MAX_LIST {
        return Err(invalid("name the affected versions: at least one `affected` entry"));
    }
    for a in &c.affected {
        if a.ranges.is_empty() && a.versions.is_empty() {
            return Err(invalid("each affected entry needs `ranges` or `versions`"));
        }
        if a.versions.len() > 1000 || a.ranges.len() > MAX_LIST {
            return Err(invalid("too many affected versions or ranges"));
        }
        for v in &a.versions {
            matching::parse(eco, v).ok_or_else(|| invalid(format!("`{v}` is not a valid {} version", eco.as_str())))?;
        }
        for r in &a.ranges {
            match (r.kind.as_str(), eco) {
                ("SEMVER", Ecosystem::Pypi) => {
                    return Err(invalid("PyPI versions are PEP 440: use an ECOSYSTEM range"))
                }
                ("SEMVER" | "ECOSYSTEM", _) => {}
                (other, _) => {
                    return Err(invalid(format!(
                        "range type `{other}` is not supported: use SEMVER or ECOSYSTEM"
                    )))
                }
            }
            if r.events.is_empty() || r.events.len() > MAX_LIST {
                return Err(invalid("a range has 1 to 100 events"));
            }
            let mut introduced = false;
            let (mut fixed, mut last) = (false, false);
            for e in &r.events {
                let set: Vec<&String> = [&e.introduced, &e.fixed, &e.last_affected, &e.limit]
                    .into_iter()
                    .flatten()
                    .collect();
                let [v] = set.as_slice() else {
                    return Err(invalid(
                        "each event has exactly one of introduced, fixed, last_affected, limit",
                    ));
                };
                introduced |= e.introduced.is_some();
                fixed |= e.fixed.is_some();
                last |= e.last_affected.is_some();
                if !(e.introduced.is_some() && v.as_str() == "0") {
                    matching::parse(eco, v)
                        .ok_or_else(|| invalid(format!("`{v}` is not a valid {} version", eco.as_str())))?;
                }
            }
            if !introduced {
                return Err(invalid("a range needs an `introduced` event (`0` for the beginning)"));
            }
            if fixed && last {
                return Err(invalid("a range has `fixed` or `last_affected` events, not both"));
            }
        }
    }
    if c.references.len() > MAX_LIST || c.credits.len() > MAX_LIST || c.cwe_ids.len() > MAX_LIST {
        return Err(invalid("at most 100 references, credits and CWE ids"));
    }
    for r in &c.references {
        if !REFERENCE_TYPES.contains(&r.kind.as_str()) {
            return Err(invalid(format!(
                "reference type `{}` is not one of {}",
                r.kind,
                REFERENCE_TYPES.join(", ")
            )));
        }
        let url = reqwest::Url::parse(&r.url).map_err(|e| invalid(format!("`{}` is not a URL: {e}", r.url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(format!("`{}` is not an http(s) URL", r.url)));
        }
    }
    for cr in &c.credits {
        if cr.name.trim().is_empty() || cr.name.len() > 200 {
            return Err(invalid("a credit names someone (1 to 200 characters)"));
        }
        if let Some(k) = &cr.kind {
            if !CREDIT_TYPES.contains(&k.as_str()) {
                return Err(invalid(format!(
                    "credit type `{k}` is not one of {}",
                    CREDIT_TYPES.join(", ")
                )));
            }
        }
    }
    for cwe in &c.cwe_ids {
        let ok = cwe
            .strip_prefix("CWE-")
            .is_some_and(|n| !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(invalid(format!("`{cwe}` is not a CWE id (CWE-79)")));
        }
    }
    Ok(c)
}

/// The native API's view of an advisory.
pub(crate) fn view(a: &Advisory, pkg: Option<&Package>) -> AdvisoryView {
    let doc: Value = serde_json::from_str(&a.doc).unwrap_or(Value::Null);
    let parsed = osv::Doc::parse(&doc);
    let (score, rating) = severity::highest(&parsed, &doc);
    AdvisoryView {
        id: a.id.clone(),
        state: a.state.clone(),
        source: a.source.clone(),
        ecosystem: pkg.map(|p| p.ecosystem.as_str().to_string()),
        package: pkg.map(Package::full_name),
        withdrawn: a.withdrawn_at.is_some(),
        malicious: a.malicious,
        severity: rating.map(str::to_string),
        score,
        osv: doc,
    }
}

impl Services {
    /// The package a local advisory belongs to.
    pub(crate) async fn advisory_package(&self, conn: &mut Conn, a: &Advisory) -> Result<Option<Package>> {
        match a.package_id {
            Some(id) => Ok(trove_db::packages::find_by_id(conn, id).await?),
            None => Ok(None),
        }
    }

    /// Whether the caller may create, edit, withdraw and review advisories of the package
    /// (those who may yank its versions, and site admins).
    pub(crate) async fn may_manage_advisories(&self, conn: &mut Conn, ctx: &Ctx, pkg: &Package) -> Result<bool> {
        if ctx.principal.is_none() || !self.can_read(conn, ctx, pkg).await? {
            return Ok(false);
        }
        match self.authorize_package(conn, ctx, pkg, PackageAction::Yank).await {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.kind, crate::ErrorKind::Forbidden | crate::ErrorKind::Unauthenticated) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether the caller may see the advisory at all (its package's privacy; reports and
    /// rejected ones only to those who manage the package's advisories).
    pub(crate) async fn may_see_advisory(&self, conn: &mut Conn, ctx: &Ctx, a: &Advisory) -> Result<bool> {
        let Some(pkg) = self.advisory_package(conn, a).await? else {
            return Ok(a.is_imported() && a.is_published());
        };
        if !self.can_read(conn, ctx, &pkg).await? {
            return Ok(false);
        }
        if a.is_published() {
            return Ok(true);
        }
        self.may_manage_advisories(conn, ctx, &pkg).await
    }
}

impl Advisories<'_> {
    /// An advisory the caller may see, with its package.
    pub(crate) async fn visible(&self, conn: &mut Conn, ctx: &Ctx, id: &str) -> Result<(Advisory, Option<Package>)> {
        let a = trove_db::advisories::find(conn, id.trim())
            .await?
            .ok_or_else(|| not_found(id))?;
        if !self.may_see_advisory(conn, ctx, &a).await? {
            return Err(not_found(id));
        }
        let pkg = self.advisory_package(conn, &a).await?;
        Ok((a, pkg))
    }
}
