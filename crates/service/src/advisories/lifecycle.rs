//! Creating, reporting, reviewing, editing and withdrawing local advisories.

use super::{osv, severity, validate, view, AdvisoryContent, AdvisoryView, NewAdvisory, ID_PREFIX};
use crate::access::PackageAction;
use crate::{audit, Ctx, Result, ServiceError};
use serde_json::{json, Value};
use trove_core::time::{parse_rfc3339, rfc3339};
use trove_core::{now_ms, Ecosystem, TokenScope};
use trove_db::advisories::{Advisory, AdvisoryRow};
use trove_db::packages::Package;
use trove_db::Conn;

/// What a document is rebuilt from after a change.
struct Stamp {
    published: Option<i64>,
    modified: i64,
    withdrawn: Option<i64>,
}

impl super::Advisories<'_> {
    /// The advisory's public URL (its page in the web UI).
    fn advisory_url(&self, id: &str) -> String {
        format!("{}/advisories/{id}", self.config.base_url.trim_end_matches('/'))
    }

    fn document(&self, id: &str, pkg: &Package, content: &AdvisoryContent, stamp: &Stamp) -> Result<Value> {
        let ecosystem = osv::osv_ecosystem(pkg.ecosystem).ok_or_else(|| {
            super::invalid("OCI images have no advisories: name a native, npm, Cargo or PyPI package")
        })?;
        let name = osv::osv_name(pkg, self.config.npm_unscoped_namespace.as_deref());
        let best = content
            .severity
            .iter()
            .filter_map(|s| severity::score(&s.kind, &s.score).ok())
            .fold(None, |b: Option<f64>, s| Some(b.map_or(s, |b| b.max(s))));
        Ok(osv::build(osv::Build {
            id,
            content,
            ecosystem,
            name: &name,
            trove_ecosystem: pkg.ecosystem,
            trove_package: &pkg.full_name(),
            published: stamp.published.map(rfc3339),
            modified: rfc3339(stamp.modified),
            withdrawn: stamp.withdrawn.map(rfc3339),
            url: self.advisory_url(id),
            score: best.map(|s| (s, severity::rating(s))),
        }))
    }

    /// The package named by a new advisory, visible to the caller (404 otherwise).
    async fn target_package(&self, conn: &mut Conn, ctx: &Ctx, new: &NewAdvisory) -> Result<Package> {
        let eco: Ecosystem = new
            .ecosystem
            .parse()
            .map_err(|e: String| ServiceError::unprocessable("invalid_ecosystem", e))?;
        if eco == Ecosystem::Oci {
            return Err(super::invalid(
                "OCI images have no advisories: name a native, npm, Cargo or PyPI package",
            ));
        }
        let (scope, name) = new
            .package
            .split_once('/')
            .ok_or_else(|| ServiceError::unprocessable("invalid_name", "the package is `scope/name`"))?;
        self.visible_package(conn, ctx, eco.as_str(), scope, name).await
    }

    async fn write(
        &self,
        conn: &mut Conn,
        a: &Advisory,
        pkg: &Package,
        content: &AdvisoryContent,
        doc: &Value,
    ) -> Result<()> {
        let packages = osv::affected_packages(doc);
        trove_db::advisories::upsert(
            conn,
            AdvisoryRow {
                id: &a.id,
                source: "local",
                state: &a.state,
                package_id: Some(pkg.id),
                namespace_id: Some(pkg.namespace_id),
                reporter_id: a.reporter_id,
                summary: &content.summary,
                malicious: content.malicious,
                doc: &doc.to_string(),
                created_at: a.created_at,
                modified_at: a.modified_at,
                withdrawn_at: a.withdrawn_at,
                packages: &packages,
            },
        )
        .await?;
        Ok(())
    }

    /// Creates and publishes an advisory of a package (owners, maintainers, site admins).
    pub async fn create_advisory(&self, ctx: &Ctx, new: NewAdvisory) -> Result<AdvisoryView> {
        self.new_advisory(ctx, new, false).await
    }

    /// Reports an advisory of a package the caller can see (any signed-in user): it waits
    /// in the review queue of the package's owners and site admins, invisible to others.
    pub async fn report_advisory(&self, ctx: &Ctx, new: NewAdvisory) -> Result<AdvisoryView> {
        self.new_advisory(ctx, new, true).await
    }

    async fn new_advisory(&self, ctx: &Ctx, new: NewAdvisory, report: bool) -> Result<AdvisoryView> {
        let p = ctx.require_scope(TokenScope::Read)?;
        let mut tx = self.db.write().await?;
        let pkg = self.target_package(&mut tx, ctx, &new).await?;
        if !report {
            self.authorize_package(&mut tx, ctx, &pkg, PackageAction::Yank).await?;
        }
        let content = validate(pkg.ecosystem, new.content)?;
        let now = now_ms();
        let year: i64 = rfc3339(now)[..4].parse().unwrap_or(1970);
        let n = trove_db::advisories::next_number(&mut tx, year).await?;
        let id = format!("{ID_PREFIX}-{year}-{n}");
        let state = if report { "reported" } else { "published" };
        let stamp = Stamp {
            published: (!report).then_some(now),
            modified: now,
            withdrawn: None,
        };
        let doc = self.document(&id, &pkg, &content, &stamp)?;
        let a = Advisory {
            id: id.clone(),
            source: "local".into(),
            state: state.into(),
            package_id: Some(pkg.id),
            namespace_id: Some(pkg.namespace_id),
            reporter_id: report.then_some(p.user.id),
            summary: content.summary.clone(),
            malicious: content.malicious,
            doc: doc.to_string(),
            created_at: now,
            modified_at: now,
            withdrawn_at: None,
        };
        self.write(&mut tx, &a, &pkg, &content, &doc).await?;
        let action = if report { "advisory.report" } else { "advisory.create" };
        let details =
            json!({ "package": pkg.full_name(), "ecosystem": pkg.ecosystem.as_str(), "summary": content.summary });
        audit::record(&mut tx, ctx, action, &id, Some(pkg.namespace_id), details).await?;
        tx.commit().await?;
        if !report {
            self.emit(ctx, &pkg, &id, "created").await;
        }
        Ok(view(&a, Some(&pkg)))
    }

    async fn emit(&self, ctx: &Ctx, pkg: &Package, id: &str, action: &str) {
        let data = json!({ "id": id, "action": action, "ecosystem": pkg.ecosystem.as_str() });
        self.webhooks()
            .emit_event(ctx, pkg.namespace_id, "advisory", Some(&pkg.full_name()), None, data)
            .await;
    }

    /// Loads a local advisory for a change by someone who manages its package's advisories:
    /// 404 when the caller cannot see it, 409 for imported ones, 403 for readers.
    async fn for_change(&self, conn: &mut Conn, ctx: &Ctx, id: &str) -> Result<(Advisory, Package)> {
        ctx.require_scope(TokenScope::Yank)?;
        let (a, pkg) = self.visible(conn, ctx, id).await?;
        let Some(pkg) = pkg else {
            return Err(ServiceError::conflict(
                "imported_advisory",
                format!("`{}` was imported from an OSV dump and is read-only here", a.id),
            ));
        };
        self.authorize_package(conn, ctx, &pkg, PackageAction::Yank).await?;
        Ok((a, pkg))
    }

    fn stamp(doc: &Value, a: &Advisory, now: i64) -> Stamp {
        Stamp {
            published: doc.get("published").and_then(Value::as_str).and_then(parse_rfc3339),
            modified: now,
            withdrawn: a.withdrawn_at,
        }
    }

    /// Replaces an advisory's content (not its package); it keeps its id and publication.
    pub async fn edit_advisory(&self, ctx: &Ctx, id: &str, content: AdvisoryContent) -> Result<AdvisoryView> {
        let mut tx = self.db.write().await?;
        let (mut a, pkg) = self.for_change(&mut tx, ctx, id).await?;
        if a.withdrawn_at.is_some() {
            return Err(ServiceError::conflict(
                "withdrawn",
                format!("`{}` is withdrawn and can no longer be edited", a.id),
            ));
        }
        if a.state == "rejected" {
            return Err(ServiceError::conflict(
                "rejected",
                format!("the report `{}` was rejected", a.id),
            ));
        }
        let content = validate(pkg.ecosystem, content)?;
        let old: Value = serde_json::from_str(&a.doc).unwrap_or(Value::Null);
        let now = now_ms().max(a.modified_at + 1);
        let doc = self.document(&a.id, &pkg, &content, &Self::stamp(&old, &a, now))?;
        a.modified_at = now;
        a.summary = content.summary.clone();
        a.malicious = content.malicious;
        a.doc = doc.to_string();
        self.write(&mut tx, &a, &pkg, &content, &doc).await?;
        let details = json!({ "package": pkg.full_name(), "summary": content.summary });
        audit::record(&mut tx, ctx, "advisory.edit", &a.id, Some(pkg.namespace_id), details).await?;
        tx.commit().await?;
        if a.is_published() {
            self.emit(ctx, &pkg, &a.id, "edited").await;
        }
        Ok(view(&a, Some(&pkg)))
    }

    /// Withdraws a published advisory: still served, with `withdrawn` set; no longer matched.
    pub async fn withdraw_advisory(&self, ctx: &Ctx, id: &str, reason: &str) -> Result<AdvisoryView> {
        let mut tx = self.db.write().await?;
        let (mut a, pkg) = self.for_change(&mut tx, ctx, id).await?;
        if !a.is_published() {
            return Err(ServiceError::conflict(
                "not_published",
                format!("`{}` is a report: accept or reject it instead", a.id),
            ));
        }
        if a.withdrawn_at.is_some() {
            return Err(ServiceError::conflict(
                "withdrawn",
                format!("`{}` is already withdrawn", a.id),
            ));
        }
        let now = now_ms().max(a.modified_at + 1);
        let mut doc: Value = serde_json::from_str(&a.doc).map_err(|e| ServiceError::internal(e.to_string()))?;
        doc["withdrawn"] = json!(rfc3339(now));
        doc["modified"] = json!(rfc3339(now));
        a.withdrawn_at = Some(now);
        a.modified_at = now;
        a.doc = doc.to_string();
        self.save_doc(&mut tx, &a, &doc).await?;
        let details = json!({ "package": pkg.full_name(), "reason": reason });
        audit::record(
            &mut tx,
            ctx,
            "advisory.withdraw",
            &a.id,
            Some(pkg.namespace_id),
            details,
        )
        .await?;
        tx.commit().await?;
        self.emit(ctx, &pkg, &a.id, "withdrawn").await;
        Ok(view(&a, Some(&pkg)))
    }

    async fn save_doc(&self, conn: &mut Conn, a: &Advisory, doc: &Value) -> Result<()> {
        let packages = osv::affected_packages(doc);
        trove_db::advisories::upsert(
            conn,
            AdvisoryRow {
                id: &a.id,
                source: &a.source,
                state: &a.state,
                package_id: a.package_id,
                namespace_id: a.namespace_id,
                reporter_id: a.reporter_id,
                summary: &a.summary,
                malicious: a.malicious,
                doc: &doc.to_string(),
                created_at: a.created_at,
                modified_at: a.modified_at,
                withdrawn_at: a.withdrawn_at,
                packages: &packages,
            },
        )
        .await?;
        Ok(())
    }

    /// Accepts a report: it is published (public to whoever can see the package).
    pub async fn accept_advisory(&self, ctx: &Ctx, id: &str) -> Result<AdvisoryView> {
        self.review(ctx, id, true).await
    }

    /// Rejects a report: it stays invisible to all but the reviewers.
    pub async fn reject_advisory(&self, ctx: &Ctx, id: &str) -> Result<AdvisoryView> {
        self.review(ctx, id, false).await
    }

    async fn review(&self, ctx: &Ctx, id: &str, accept: bool) -> Result<AdvisoryView> {
        let mut tx = self.db.write().await?;
        let (mut a, pkg) = self.for_change(&mut tx, ctx, id).await?;
        if a.state != "reported" {
            return Err(ServiceError::conflict(
                "not_reported",
                format!("`{}` is not waiting for review (it is {})", a.id, a.state),
            ));
        }
        let now = now_ms().max(a.modified_at + 1);
        let mut doc: Value = serde_json::from_str(&a.doc).map_err(|e| ServiceError::internal(e.to_string()))?;
        doc["modified"] = json!(rfc3339(now));
        if accept {
            doc["published"] = json!(rfc3339(now));
        }
        a.state = if accept { "published" } else { "rejected" }.into();
        a.modified_at = now;
        a.doc = doc.to_string();
        trove_db::advisories::set_state(&mut tx, &a.id, &a.state, &a.doc, now).await?;
        let action = if accept { "advisory.accept" } else { "advisory.reject" };
        audit::record(
            &mut tx,
            ctx,
            action,
            &a.id,
            Some(pkg.namespace_id),
            json!({ "package": pkg.full_name() }),
        )
        .await?;
        tx.commit().await?;
        if accept {
            self.emit(ctx, &pkg, &a.id, "accepted").await;
        }
        Ok(view(&a, Some(&pkg)))
    }

    /// Reports waiting for the caller's review: those of packages whose advisories they
    /// manage (every report for site admins). Newest first.
    pub async fn review_queue(&self, ctx: &Ctx) -> Result<Vec<AdvisoryView>> {
        ctx.require_scope(TokenScope::Read)?;
        let mut conn = self.db.conn().await?;
        let reports = trove_db::advisories::list(
            &mut conn,
            &trove_db::advisories::ListFilter {
                state: Some("reported".into()),
                limit: 1000,
                ..Default::default()
            },
        )
        .await?;
        let mut out = Vec::new();
        for a in reports {
            let Some(pkg) = self.advisory_package(&mut conn, &a).await? else {
                continue;
            };
            if self.may_manage_advisories(&mut conn, ctx, &pkg).await? {
                out.push(view(&a, Some(&pkg)));
            }
        }
        Ok(out)
    }
}
