use super::add_owners::Users;
use crate::auth::Caller;
use crate::errors::CargoResult;
use crate::names::storage_name;
use crate::CargoState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};
use trove_core::Ecosystem;

/// `DELETE /cargo/{scope}/api/v1/crates/{name}/owners` `{"users": [...]}`
/// (`cargo owner --remove`); the last owner cannot be removed.
pub async fn remove_owners(
    State(state): State<CargoState>,
    Caller(ctx): Caller,
    Path((scope, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> CargoResult<Json<Value>> {
    let users = Users::parse(&crate::wire::read_json(&headers, body).await?)?;
    let packages = state.services.packages().of(Ecosystem::Cargo);
    for user in &users.users {
        packages.remove_owner(&ctx, &scope, &storage_name(&name), user).await?;
    }
    let msg = format!(
        "user(s) {} removed from the owners of crate {name}",
        users.users.join(", ")
    );
    Ok(Json(json!({ "ok": true, "msg": msg })))
}
