//! Storage quotas per namespace: site admins set them, members read their namespace's usage,
//! and every upload is checked against them here, once for all protocols (`publish_release`
//! for native, npm, Cargo and PyPI; OCI blob uploads, mounts and manifest pushes).
//!
//! Usage is the total size of the distinct stored blobs the namespace references (files of
//! its live versions, its OCI manifests and the blobs linked to its repositories); a blob
//! shared with another namespace counts fully in each (`trove_db::quotas`); an upload of
//! bytes the namespace already references adds nothing ([`Quotas::check_blobs`]).
//!
//! A publish (any ecosystem) and an OCI manifest push are checked twice: before their bytes
//! are stored (refused early, nothing written), and again as the first step of the transaction
//! that commits them ([`Quotas::check_blobs_locked`]), under the namespace's quota row lock, so
//! two uploads racing at the limit cannot both get in: the second sees the first's bytes and
//! is refused, and the bytes it stored are reclaimed. OCI blob uploads are checked before they
//! are stored only (a blob is not usage until a manifest or a repository link holds it).

use crate::access::namespace_role;
use crate::{audit, Ctx, ErrorKind, Result, ServiceError};
use trove_core::{now_ms, Digest, TokenScope};
use trove_db::namespaces::Namespace;
use trove_db::Conn;

pub use trove_wire::{QuotaUpdate, StorageUsage};

sub_service!(
    /// Storage quotas and usage of namespaces.
    Quotas,
    quotas
);

/// The error code of an upload refused by a quota.
pub const QUOTA_EXCEEDED: &str = "quota_exceeded";

/// `1073741824` → `1.0 GiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

impl Quotas<'_> {
    /// The namespace's usage and quota: its members and site admins (others: 404).
    pub async fn storage_usage(&self, ctx: &Ctx, scope: &str) -> Result<StorageUsage> {
        let p = ctx.require_scope(TokenScope::Read)?;
        let mut conn = self.db.conn().await?;
        let not_found = || ServiceError::not_found(format!("namespace `{scope}` not found"));
        let ns = trove_db::namespaces::find(&mut conn, scope)
            .await?
            .ok_or_else(not_found)?;
        if !p.user.admin() && namespace_role(&mut conn, &p.user, &ns).await?.is_none() {
            return Err(not_found());
        }
        self.usage_of(&mut conn, &ns).await
    }

    /// Sets or removes (`None`) a namespace's quota: site admins only.
    pub async fn set_quota(&self, ctx: &Ctx, scope: &str, max_bytes: Option<i64>) -> Result<StorageUsage> {
        let p = ctx.require_scope(TokenScope::Admin)?;
        if !p.user.admin() {
            return Err(ServiceError::forbidden("only site admins set storage quotas"));
        }
        if max_bytes.is_some_and(|b| b < 0) {
            return Err(ServiceError::unprocessable(
                "invalid_quota",
                "max_bytes must be 0 or more (null removes the quota)",
            ));
        }
        let mut tx = self.db.write().await?;
        let ns = trove_db::namespaces::find(&mut tx, scope)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("namespace `{scope}` not found")))?;
        trove_db::quotas::set(&mut tx, ns.id, max_bytes, now_ms()).await?;
        audit::record(
            &mut tx,
            ctx,
            "namespace.quota",
            &ns.name,
            Some(ns.id),
            serde_json::json!({ "max_bytes": max_bytes }),
        )
        .await?;
        let usage = self.usage_of(&mut tx, &ns).await?;
        tx.commit().await?;
        Ok(usage)
    }

    async fn usage_of(&self, conn: &mut Conn, ns: &Namespace) -> Result<StorageUsage> {
        Ok(StorageUsage {
            namespace: ns.name.clone(),
            used_bytes: trove_db::quotas::usage(conn, ns.id).await?,
            quota_bytes: trove_db::quotas::get(conn, ns.id).await?,
        })
    }

    /// Refuses (403 `quota_exceeded`) an upload of `incoming` bytes that would take the
    /// namespace over its quota.
    pub(crate) async fn check_room(&self, namespace_id: i64, incoming: u64) -> Result<()> {
        let mut conn = self.db.conn().await?;
        let Some(max) = trove_db::quotas::get(&mut conn, namespace_id).await? else {
            return Ok(());
        };
        self.refuse_over(&mut conn, namespace_id, max, incoming).await
    }

    /// [`Quotas::check_room`] for stored blobs (digest, size): those the namespace already
    /// references add nothing to its usage.
    pub(crate) async fn check_blobs(&self, namespace_id: i64, blobs: &[(&Digest, u64)]) -> Result<()> {
        let mut conn = self.db.conn().await?;
        let Some(max) = trove_db::quotas::get(&mut conn, namespace_id).await? else {
            return Ok(());
        };
        let incoming = incoming_bytes(&mut conn, namespace_id, blobs).await?;
        self.refuse_over(&mut conn, namespace_id, max, incoming).await
    }

    /// [`Quotas::check_blobs`] as the first step of the write transaction `tx` that commits
    /// the blobs: takes the namespace's quota row lock (see `trove_db::quotas::lock`), so
    /// concurrent uploads to one namespace are checked one after the other against the
    /// usage their predecessors committed.
    pub(crate) async fn check_blobs_locked(
        &self,
        tx: &mut Conn,
        namespace_id: i64,
        blobs: &[(&Digest, u64)],
    ) -> Result<()> {
        let Some(max) = trove_db::quotas::lock(tx, namespace_id).await? else {
            return Ok(());
        };
        let incoming = incoming_bytes(tx, namespace_id, blobs).await?;
        self.refuse_over(tx, namespace_id, max, incoming).await
    }

    async fn refuse_over(&self, conn: &mut Conn, namespace_id: i64, max: i64, incoming: u64) -> Result<()> {
        if incoming == 0 {
            return Ok(());
        }
        let used = trove_db::quotas::usage(conn, namespace_id).await?.max(0) as u64;
        let after = used.saturating_add(incoming);
        if after <= max.max(0) as u64 {
            return Ok(());
        }
        let name = trove_db::namespaces::find_by_id(conn, namespace_id)
            .await?
            .map(|n| n.name)
            .unwrap_or_default();
        metrics::counter!("trove_quota_refusals_total").increment(1);
        Err(ServiceError::new(
            ErrorKind::Forbidden,
            QUOTA_EXCEEDED,
            format!(
                "namespace {name} is over its storage quota ({} of {}; this upload needs {})",
                human_bytes(after),
                human_bytes(max.max(0) as u64),
                human_bytes(incoming),
            ),
        ))
    }
}

/// The bytes of `blobs` the namespace does not reference yet (each distinct digest once).
async fn incoming_bytes(conn: &mut Conn, namespace_id: i64, blobs: &[(&Digest, u64)]) -> Result<u64> {
    let mut incoming = 0u64;
    let mut seen = std::collections::HashSet::new();
    for (digest, size) in blobs {
        if seen.insert(*digest) && !trove_db::quotas::references(conn, namespace_id, &digest.to_string()).await? {
            incoming = incoming.saturating_add(*size);
        }
    }
    Ok(incoming)
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_bytes_reads_well() {
        assert_eq!(super::human_bytes(0), "0 B");
        assert_eq!(super::human_bytes(1023), "1023 B");
        assert_eq!(super::human_bytes(1024), "1.0 KiB");
        assert_eq!(super::human_bytes(1536 * 1024), "1.5 MiB");
        assert_eq!(super::human_bytes(1 << 30), "1.0 GiB");
    }
}
