//! Reverse dependencies: which packages' latest versions depend on a package.

use crate::{Conn, Result};
use trove_core::name::normalize;

/// Candidate dependents of `scope/name`: (package id, the dependencies JSON of its latest
/// version), most downloaded first. The text match is loose (`-`, `_` and `.` match each
/// other, as names do); callers check the parsed dependency names exactly.
pub async fn candidates(conn: &mut Conn, full_name: &str, limit: i64) -> Result<Vec<(i64, String)>> {
    let loose: String = normalize(full_name)
        .chars()
        .map(|c| if matches!(c, '-' | '_' | '.') { '_' } else { c })
        .collect();
    let pattern = format!("%\"{loose}\"%");
    Ok(sqlx::query_as(
        "SELECT p.id, v.dependencies FROM versions v JOIN packages p ON p.id = v.package_id \
         WHERE v.deleted_at IS NULL AND v.version = p.latest_version AND v.dependencies LIKE $1 \
         ORDER BY p.downloads DESC, p.id LIMIT $2",
    )
    .bind(pattern)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
