use crate::auth::Caller;
use crate::errors::CargoResult;
use crate::CargoState;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::Value;

/// `PUT /cargo/{scope}/api/v1/crates/{name}/{version}/unyank`.
pub async fn unyank_crate(
    State(state): State<CargoState>,
    Caller(ctx): Caller,
    Path((scope, name, version)): Path<(String, String, String)>,
) -> CargoResult<Json<Value>> {
    super::yank_crate::set_yanked(&state, &ctx, &scope, &name, &version, false).await
}
