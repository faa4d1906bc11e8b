use crate::auth::Caller;
use crate::errors::CargoResult;
use crate::CargoState;
use axum::extract::{Path, State};
use axum::Json;
use trove_service::cargo::RegistryView;

/// `GET /cargo/{scope}/settings`: the registry's settings (`auth_required`).
pub async fn get_registry(
    State(state): State<CargoState>,
    Caller(_ctx): Caller,
    Path(scope): Path<String>,
) -> CargoResult<Json<RegistryView>> {
    Ok(Json(state.services.cargo().registry(&scope).await?))
}
