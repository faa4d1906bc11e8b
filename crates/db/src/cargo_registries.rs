//! Per-namespace Cargo registry settings (migration 0011). A namespace without a row has the
//! defaults: anonymous reads of public crates.

use crate::{Conn, Result};

/// Whether the namespace's Cargo registry requires a token for every request.
pub async fn auth_required(conn: &mut Conn, namespace_id: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT auth_required FROM cargo_registries WHERE namespace_id = $1")
        .bind(namespace_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some_and(|(v,)| v != 0))
}

/// Sets whether the registry requires a token.
pub async fn set_auth_required(conn: &mut Conn, namespace_id: i64, required: bool, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO cargo_registries (namespace_id, auth_required, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (namespace_id) DO UPDATE SET auth_required = $2, updated_at = $3",
    )
    .bind(namespace_id)
    .bind(i64::from(required))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
