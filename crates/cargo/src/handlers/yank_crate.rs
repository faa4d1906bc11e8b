use crate::auth::Caller;
use crate::errors::CargoResult;
use crate::names::storage_name;
use crate::CargoState;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};
use trove_core::Ecosystem;

/// `DELETE /cargo/{scope}/api/v1/crates/{name}/{version}/yank`: new resolutions skip the
/// version; lock files that pin it keep downloading it.
pub async fn yank_crate(
    State(state): State<CargoState>,
    Caller(ctx): Caller,
    Path((scope, name, version)): Path<(String, String, String)>,
) -> CargoResult<Json<Value>> {
    set_yanked(&state, &ctx, &scope, &name, &version, true).await
}

/// Yanks or unyanks through the shared use case (same rights, audit and webhooks).
pub(crate) async fn set_yanked(
    state: &CargoState,
    ctx: &trove_service::Ctx,
    scope: &str,
    name: &str,
    version: &str,
    yanked: bool,
) -> CargoResult<Json<Value>> {
    state
        .services
        .packages()
        .of(Ecosystem::Cargo)
        .set_yanked(ctx, scope, &storage_name(name), version, yanked, None)
        .await?;
    Ok(Json(json!({ "ok": true })))
}
