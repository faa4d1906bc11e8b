use crate::auth::Caller;
use crate::errors::CargoResult;
use crate::names::storage_name;
use crate::CargoState;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};
use trove_core::Ecosystem;

/// `GET /cargo/{scope}/api/v1/crates/{name}/owners`: the crate's Trove owners and
/// maintainers (`cargo owner --list`), oldest first.
pub async fn list_owners(
    State(state): State<CargoState>,
    Caller(ctx): Caller,
    Path((scope, name)): Path<(String, String)>,
) -> CargoResult<Json<Value>> {
    let owners = state
        .services
        .packages()
        .of(Ecosystem::Cargo)
        .list_owner_accounts(&ctx, &scope, &storage_name(&name))
        .await?;
    // `id` is the account's own id, as crates.io gives its user ids: the same for a user
    // on every crate and in every listing, whoever else is added or removed.
    let users: Vec<Value> = owners
        .iter()
        .map(|a| {
            let o = &a.owner;
            json!({ "id": a.user_id, "login": o.username, "name": o.username, "kind": "user", "role": o.role })
        })
        .collect();
    Ok(Json(json!({ "users": users })))
}
