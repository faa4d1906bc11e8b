//! Retention policies: owners and admins of a namespace set rules that delete old versions
//! and OCI tags (and untagged OCI manifests); a preview lists exactly what a run would delete;
//! a run deletes through the ordinary deletion pieces (audit entries, `delete` webhook events,
//! search), then garbage collection reclaims the bytes.
//!
//! What a policy deletes, per package (OCI repository) of the namespace:
//! - versions (tags) whose name matches `pattern` (all when unset), and that every rule set
//!   condemns: not among the newest `keep_last` matching ones (by publish time; tags by push
//!   time), and published more than `max_age_days` ago. A policy with neither rule deletes no
//!   version or tag.
//! - never the package's latest version (its advertised version; for OCI the most recently
//!   pushed tag), a version an npm dist-tag names, nor a tag named `latest`;
//! - never a version another live version of the same registry depends on with a requirement
//!   the version satisfies, read in the ecosystem's terms (`crate::requirements`: semver for
//!   native and Cargo, npm ranges, PEP 440 specifiers of PyPI's `Requires-Dist`; Cargo and
//!   PyPI dependencies name packages of the same namespace). Such versions are listed as
//!   `protected`;
//! - with `delete_untagged`, OCI manifests that no remaining tag points at, that no index of
//!   the repository lists and that have no subject, pushed more than [`UNTAGGED_GRACE_MS`]
//!   ago (a multi-platform push uploads its children before the index that lists them).
//!   Children of an index deleted in a run go in the next run. Referrers (signatures, SBOMs)
//!   go with their subject: those whose subject the run deletes, and, past the same grace,
//!   those whose subject is no longer in the repository;
//! - nothing of OCI repositories when `[oci] delete_enabled` is false (the report's `notes`
//!   say so).

use crate::access::{namespace_role, Role};
use crate::oci::Reference;
use crate::{audit, requirements, Ctx, Result, ServiceError};
use std::collections::HashSet;
use trove_core::time::rfc3339;
use trove_core::{now_ms, Digest, Ecosystem, TokenScope};
use trove_db::namespaces::Namespace;
use trove_db::packages::Package;
use trove_db::retention::Policy;
use trove_db::versions::Version;
use trove_db::Conn;

pub use trove_wire::{RetentionItem, RetentionPolicy, RetentionReport, RetentionRules};

sub_service!(
    /// Retention policies of namespaces and the runs that apply them.
    Retention,
    retention
);

/// Untagged manifests younger than this are kept.
pub const UNTAGGED_GRACE_MS: i64 = 3_600_000;
/// How long one node holds a namespace's policy while applying it.
const LEASE_MS: i64 = 10 * 60_000;
const MAX_PATTERN_LEN: usize = 128;
const DAY_MS: i64 = 86_400_000;

/// What a run deletes, in order.
#[derive(Default)]
struct Plan {
    versions: Vec<(Package, Version, RetentionItem)>,
    references: Vec<(Package, Reference, RetentionItem)>,
    protected: Vec<RetentionItem>,
    notes: Vec<String>,
}

/// The note of a report on a namespace with OCI repositories when OCI deletes are disabled.
pub const OCI_DELETES_DISABLED: &str =
    "OCI repositories were left alone: deletes are disabled on this registry ([oci] delete_enabled = false)";

fn policy_view(ns: &Namespace, p: &Policy) -> RetentionPolicy {
    RetentionPolicy {
        namespace: ns.name.clone(),
        keep_last: p.keep_last,
        max_age_days: p.max_age_days,
        pattern: p.pattern.clone(),
        delete_untagged: p.delete_untagged,
        last_run_at: p.last_run_at.map(rfc3339),
        updated_at: rfc3339(p.updated_at),
    }
}

fn item(pkg: &Package, kind: &str, name: &str, size: i64, created_at: i64) -> RetentionItem {
    RetentionItem {
        package: pkg.full_name(),
        ecosystem: pkg.ecosystem.as_str().to_string(),
        kind: kind.to_string(),
        name: name.to_string(),
        size,
        created_at: rfc3339(created_at),
    }
}

/// Whether the rules condemn the entry at `rank` (0: newest of those matching) created at `at`.
fn condemned(p: &Policy, rank: usize, at: i64, now: i64) -> bool {
    if p.keep_last.is_none() && p.max_age_days.is_none() {
        return false;
    }
    let beyond = p.keep_last.is_none_or(|n| rank as i64 >= n);
    let old = p.max_age_days.is_none_or(|d| at < now - d.saturating_mul(DAY_MS));
    beyond && old
}

fn matches(p: &Policy, name: &str) -> bool {
    p.pattern
        .as_deref()
        .is_none_or(|pat| trove_core::pattern::matches(pat, name))
}

impl Retention<'_> {
    /// The namespace whose policy the caller manages: owners of a user namespace, owners and
    /// admins of an organization, site admins (others: 404, members with a smaller role: 403).
    async fn managed_namespace(&self, conn: &mut Conn, ctx: &Ctx, scope: &str) -> Result<Namespace> {
        let p = ctx.require_scope(TokenScope::Owners)?;
        let not_found = || ServiceError::not_found(format!("namespace `{scope}` not found"));
        let ns = trove_db::namespaces::find(conn, scope).await?.ok_or_else(not_found)?;
        let role = if p.user.admin() {
            Some(Role::Owner)
        } else {
            namespace_role(conn, &p.user, &ns).await?
        };
        match role {
            None => Err(not_found()),
            Some(r) if r < Role::Admin => Err(ServiceError::forbidden(format!(
                "only owners and admins of `{}` manage its retention policy",
                ns.name
            ))),
            Some(_) => Ok(ns),
        }
    }

    async fn policy_of(&self, conn: &mut Conn, ns: &Namespace) -> Result<Policy> {
        trove_db::retention::get(conn, ns.id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("`{}` has no retention policy", ns.name)))
    }

    pub async fn get_policy(&self, ctx: &Ctx, scope: &str) -> Result<RetentionPolicy> {
        let mut conn = self.db.conn().await?;
        let ns = self.managed_namespace(&mut conn, ctx, scope).await?;
        let p = self.policy_of(&mut conn, &ns).await?;
        Ok(policy_view(&ns, &p))
    }

    /// Sets (replaces) the namespace's policy.
    pub async fn set_policy(&self, ctx: &Ctx, scope: &str, rules: RetentionRules) -> Result<RetentionPolicy> {
        if rules.keep_last.is_some_and(|n| n < 1) {
            return Err(ServiceError::unprocessable(
                "invalid_policy",
                "keep_last must be 1 or more",
            ));
        }
        if rules.max_age_days.is_some_and(|n| n < 1) {
            return Err(ServiceError::unprocessable(
                "invalid_policy",
                "max_age_days must be 1 or more",
            ));
        }
        if let Some(p) = &rules.pattern {
            if p.is_empty() || p.len() > MAX_PATTERN_LEN || p.chars().any(|c| c.is_control()) {
                return Err(ServiceError::unprocessable(
                    "invalid_policy",
                    format!("pattern must be 1 to {MAX_PATTERN_LEN} printable characters (`*` matches any run)"),
                ));
            }
        }
        if rules.keep_last.is_none() && rules.max_age_days.is_none() && !rules.delete_untagged {
            return Err(ServiceError::unprocessable(
                "invalid_policy",
                "a policy needs keep_last, max_age_days or delete_untagged",
            ));
        }
        let mut tx = self.db.write().await?;
        let ns = self.managed_namespace(&mut tx, ctx, scope).await?;
        let r = trove_db::retention::Rules {
            keep_last: rules.keep_last,
            max_age_days: rules.max_age_days,
            pattern: rules.pattern.as_deref(),
            delete_untagged: rules.delete_untagged,
        };
        trove_db::retention::set(&mut tx, ns.id, &r, now_ms()).await?;
        audit::record(
            &mut tx,
            ctx,
            "retention.set",
            &ns.name,
            Some(ns.id),
            serde_json::to_value(&rules).unwrap_or_default(),
        )
        .await?;
        let p = self.policy_of(&mut tx, &ns).await?;
        tx.commit().await?;
        Ok(policy_view(&ns, &p))
    }

    pub async fn delete_policy(&self, ctx: &Ctx, scope: &str) -> Result<()> {
        let mut tx = self.db.write().await?;
        let ns = self.managed_namespace(&mut tx, ctx, scope).await?;
        if !trove_db::retention::delete(&mut tx, ns.id).await? {
            return Err(ServiceError::not_found(format!(
                "`{}` has no retention policy",
                ns.name
            )));
        }
        audit::record(
            &mut tx,
            ctx,
            "retention.delete",
            &ns.name,
            Some(ns.id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What applying the policy now would delete (and what it keeps for its dependents).
    pub async fn preview(&self, ctx: &Ctx, scope: &str) -> Result<RetentionReport> {
        let mut conn = self.db.conn().await?;
        let ns = self.managed_namespace(&mut conn, ctx, scope).await?;
        let policy = self.policy_of(&mut conn, &ns).await?;
        let plan = self.plan(&mut conn, &ns, &policy, now_ms()).await?;
        Ok(report(&ns, true, plan, 0))
    }

    /// Applies the policy now (as the retention job would), then collects garbage.
    pub async fn apply(&self, ctx: &Ctx, scope: &str) -> Result<RetentionReport> {
        let ns = {
            let mut conn = self.db.conn().await?;
            let ns = self.managed_namespace(&mut conn, ctx, scope).await?;
            self.policy_of(&mut conn, &ns).await?;
            ns
        };
        let now = now_ms();
        let mut conn = self.db.conn().await?;
        if !trove_db::retention::claim(&mut conn, ns.id, now, now + LEASE_MS).await? {
            return Err(ServiceError::conflict(
                "retention_running",
                format!("the retention policy of `{}` is being applied already", ns.name),
            ));
        }
        drop(conn);
        let run = self.run(ctx, &ns, now).await;
        let mut conn = self.db.conn().await?;
        trove_db::retention::finish(&mut conn, ns.id, now_ms()).await?;
        run
    }

    /// The retention job: applies every policy that has neither run nor changed for
    /// `every_ms`, each claimed with a lease so one node applies it at a time. Returns how
    /// many policies ran.
    pub async fn run_due(&self, every_ms: i64) -> Result<u64> {
        let now = now_ms();
        let due = {
            let mut conn = self.db.conn().await?;
            trove_db::retention::due(&mut conn, now - every_ms, now).await?
        };
        let mut ran = 0;
        for ns_id in due {
            let mut conn = self.db.conn().await?;
            if !trove_db::retention::claim(&mut conn, ns_id, now, now + LEASE_MS).await? {
                continue;
            }
            let Some(ns) = trove_db::namespaces::find_by_id(&mut conn, ns_id).await? else {
                continue;
            };
            drop(conn);
            match self.run(&Ctx::anonymous(), &ns, now_ms()).await {
                Ok(r) if !r.deleted.is_empty() => tracing::info!(
                    namespace = %ns.name,
                    deleted = r.deleted.len(),
                    bytes_reclaimed = r.bytes_reclaimed,
                    "retention policy applied"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(namespace = %ns.name, error = %e, "applying a retention policy failed"),
            }
            let mut conn = self.db.conn().await?;
            trove_db::retention::finish(&mut conn, ns_id, now_ms()).await?;
            ran += 1;
        }
        Ok(ran)
    }

    /// One run over a namespace whose lease the caller holds.
    async fn run(&self, ctx: &Ctx, ns: &Namespace, now: i64) -> Result<RetentionReport> {
        let plan = {
            let mut conn = self.db.conn().await?;
            let Some(policy) = trove_db::retention::get(&mut conn, ns.id).await? else {
                return Ok(report(ns, false, Plan::default(), 0));
            };
            self.plan(&mut conn, ns, &policy, now).await?
        };
        let mut done = Plan {
            protected: plan.protected,
            notes: plan.notes,
            ..Plan::default()
        };
        for (pkg, v, it) in plan.versions {
            let packages = self.packages().of(pkg.ecosystem);
            let mut tx = self.db.write().await?;
            // Still live and still not the latest (a publish may have come in between).
            let Some(cur) = trove_db::versions::find(&mut tx, pkg.id, &v.version_key).await? else {
                continue;
            };
            let latest = trove_db::packages::find_by_id(&mut tx, pkg.id)
                .await?
                .and_then(|p| p.latest_version);
            if cur.is_deleted() || latest.as_deref() == Some(cur.version.as_str()) {
                continue;
            }
            let at = now_ms();
            packages
                .record_removal(&mut tx, ctx, &pkg, &cur, at, Some("retention"))
                .await?;
            crate::packages::refresh_latest(&mut tx, pkg.ecosystem, pkg.id, at).await?;
            tx.commit().await?;
            self.search().reindex_package(pkg.id).await;
            packages.emit_deletion(ctx, &pkg, &cur).await;
            done.versions.push((pkg, cur, it));
        }
        for (pkg, reference, it) in plan.references {
            if self
                .oci()
                .remove_reference(ctx, &pkg, &reference, Some("retention"))
                .await?
            {
                done.references.push((pkg, reference, it));
            }
        }
        let deleted = done.versions.len() + done.references.len();
        let mut freed = 0;
        if deleted > 0 {
            let gc = self.blobs().gc_blobs(self.config.gc_min_age_ms).await?;
            freed = gc.bytes_freed as i64;
            metrics::counter!("trove_retention_deleted_total").increment(deleted as u64);
            metrics::counter!("trove_retention_bytes_reclaimed_total").increment(gc.bytes_freed);
        }
        let out = report(ns, false, done, freed);
        // The job's runs that delete nothing leave no trace; a caller's run always does.
        if deleted == 0 && ctx.principal.is_none() {
            return Ok(out);
        }
        let mut tx = self.db.write().await?;
        audit::record(
            &mut tx,
            ctx,
            "retention.apply",
            &ns.name,
            Some(ns.id),
            serde_json::json!({
                "deleted": out.deleted.len(),
                "protected": out.protected.len(),
                "bytes_reclaimed": freed,
                "items": out.deleted.iter().map(|i| format!("{}:{}", i.package, i.name)).collect::<Vec<_>>(),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn plan(&self, conn: &mut Conn, ns: &Namespace, policy: &Policy, now: i64) -> Result<Plan> {
        let mut plan = Plan::default();
        for pkg in trove_db::packages::list_in_namespace(conn, ns.id).await? {
            if pkg.ecosystem == Ecosystem::Oci {
                if !self.config.oci_delete_enabled {
                    if plan.notes.is_empty() {
                        plan.notes.push(OCI_DELETES_DISABLED.to_string());
                    }
                    continue;
                }
                self.plan_repository(conn, &pkg, policy, now, &mut plan).await?;
            } else {
                self.plan_versions(conn, &pkg, policy, now, &mut plan).await?;
            }
        }
        Ok(plan)
    }

    async fn plan_versions(
        &self,
        conn: &mut Conn,
        pkg: &Package,
        policy: &Policy,
        now: i64,
        plan: &mut Plan,
    ) -> Result<()> {
        let mut versions: Vec<Version> = trove_db::versions::list(conn, pkg.id)
            .await?
            .into_iter()
            .filter(|v| !v.is_deleted() && matches(policy, &v.version))
            .collect();
        versions.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        let files = trove_db::version_files::list_for_package(conn, pkg.id).await?;
        // npm dist-tags (`beta`, `next`…) name versions their users install: kept.
        let tagged: HashSet<i64> = trove_db::dist_tags::list(conn, pkg.id)
            .await?
            .into_iter()
            .map(|t| t.version_id)
            .collect();
        let mut dependents: Option<Vec<String>> = None;
        let dep_name = requirements::dependency_name(pkg.ecosystem, &pkg.scope, &pkg.name);
        for (rank, v) in versions.into_iter().enumerate() {
            if !condemned(policy, rank, v.created_at, now)
                || pkg.latest_version.as_deref() == Some(v.version.as_str())
                || tagged.contains(&v.id)
            {
                continue;
            }
            let size: i64 = files.iter().filter(|f| f.version_id == v.id).map(|f| f.size).sum();
            let it = item(pkg, "version", &v.version, size.max(v.size), v.created_at);
            if dependents.is_none() {
                // `-`, `_` and `.` are equal in names: `_` matches any one character in LIKE.
                let needle: String = dep_name
                    .chars()
                    .map(|c| if matches!(c, '-' | '_' | '.') { '_' } else { c })
                    .collect();
                // JSON object keys (`"name":`), or the start of PyPI's requirement strings.
                let pattern = match pkg.ecosystem {
                    Ecosystem::Pypi => format!("%\"{needle}%"),
                    _ => format!("%\"{needle}\"%"),
                };
                let namespace = requirements::same_namespace_only(pkg.ecosystem).then_some(pkg.namespace_id);
                dependents = Some(
                    trove_db::retention::dependency_lists_mentioning(
                        conn,
                        pkg.id,
                        pkg.ecosystem.as_str(),
                        namespace,
                        &pattern,
                    )
                    .await?,
                );
            }
            let lists = dependents.as_deref().unwrap_or_default();
            if lists
                .iter()
                .any(|deps| requirements::requires(pkg.ecosystem, deps, &dep_name, &v.version))
            {
                plan.protected.push(it);
            } else {
                plan.versions.push((pkg.clone(), v, it));
            }
        }
        Ok(())
    }

    async fn plan_repository(
        &self,
        conn: &mut Conn,
        pkg: &Package,
        policy: &Policy,
        now: i64,
        plan: &mut Plan,
    ) -> Result<()> {
        // Newest first.
        let tags = trove_db::oci_tags::list_recent(conn, pkg.id).await?;
        let mut kept_digests = HashSet::new();
        let mut rank = 0;
        for t in &tags {
            let protected = t.tag == "latest" || pkg.latest_version.as_deref() == Some(t.tag.as_str());
            if !matches(policy, &t.tag) {
                kept_digests.insert(t.digest.clone());
                continue;
            }
            let gone = !protected && condemned(policy, rank, t.updated_at, now);
            rank += 1;
            if gone {
                let it = item(pkg, "tag", &t.tag, 0, t.updated_at);
                plan.references.push((pkg.clone(), Reference::Tag(t.tag.clone()), it));
            } else {
                kept_digests.insert(t.digest.clone());
            }
        }
        if !policy.delete_untagged {
            return Ok(());
        }
        let referenced: HashSet<String> = trove_db::retention::manifest_refs(conn, pkg.id)
            .await?
            .into_iter()
            .collect();
        let manifests = trove_db::retention::manifests(conn, pkg.id).await?;
        let mut gone: HashSet<String> = HashSet::new();
        for (digest, _, created_at, subject) in &manifests {
            if subject.is_none()
                && !kept_digests.contains(digest)
                && !referenced.contains(digest)
                && *created_at <= now - UNTAGGED_GRACE_MS
            {
                gone.insert(digest.clone());
            }
        }
        // Referrers go with their subject (also referrers of referrers); one whose subject is
        // not in the repository (deleted before) goes once past the grace (a referrer may be
        // pushed before its subject).
        let present: HashSet<&str> = manifests.iter().map(|(d, ..)| d.as_str()).collect();
        loop {
            let before = gone.len();
            for (digest, _, created_at, subject) in &manifests {
                let Some(subject) = subject else {
                    continue;
                };
                if gone.contains(digest) {
                    continue;
                }
                if gone.contains(subject)
                    || (!present.contains(subject.as_str()) && *created_at <= now - UNTAGGED_GRACE_MS)
                {
                    gone.insert(digest.clone());
                }
            }
            if gone.len() == before {
                break;
            }
        }
        // Referrers first, then their subjects: a run cut short leaves no referrer without
        // its subject.
        let (referrers, subjects): (Vec<_>, Vec<_>) = manifests
            .iter()
            .filter(|(d, ..)| gone.contains(d))
            .partition(|(.., subject)| subject.is_some());
        for (digest, size, created_at, _) in referrers.into_iter().chain(subjects) {
            let Ok(d) = Digest::parse(digest) else {
                continue;
            };
            let it = item(pkg, "manifest", digest, *size, *created_at);
            plan.references.push((pkg.clone(), Reference::Digest(d), it));
        }
        Ok(())
    }
}

fn report(ns: &Namespace, dry_run: bool, plan: Plan, bytes_reclaimed: i64) -> RetentionReport {
    RetentionReport {
        namespace: ns.name.clone(),
        dry_run,
        deleted: plan
            .versions
            .into_iter()
            .map(|(_, _, i)| i)
            .chain(plan.references.into_iter().map(|(_, _, i)| i))
            .collect(),
        protected: plan.protected,
        bytes_reclaimed,
        notes: plan.notes,
    }
}
