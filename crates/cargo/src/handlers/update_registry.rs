use crate::auth::Caller;
use crate::errors::{CargoError, CargoResult};
use crate::CargoState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use trove_service::cargo::RegistryView;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    auth_required: bool,
}

/// `PUT /cargo/{scope}/settings` `{"auth_required": true}`: makes the namespace's registry
/// require a token for every request (namespace admins; the token needs the `admin` scope).
pub async fn update_registry(
    State(state): State<CargoState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> CargoResult<Json<RegistryView>> {
    let s: Settings = serde_json::from_slice(&crate::wire::read_json(&headers, body).await?)
        .map_err(|e| CargoError::bad_request(format!("invalid settings JSON: {e}")))?;
    Ok(Json(
        state
            .services
            .cargo()
            .set_auth_required(&ctx, &scope, s.auth_required)
            .await?,
    ))
}
