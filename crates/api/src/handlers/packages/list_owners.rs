use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::packages::OwnerView;

/// `GET /api/v1/packages/{scope}/{name}/owners`
pub async fn list_owners(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name)): Path<(String, String)>,
) -> ApiResult<Json<Vec<OwnerView>>> {
    Ok(Json(state.services.packages().list_owners(&ctx, &scope, &name).await?))
}
