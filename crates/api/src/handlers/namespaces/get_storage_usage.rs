use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::quotas::StorageUsage;

/// `GET /api/v1/namespaces/{scope}/usage`: members of the namespace and site admins.
pub async fn get_storage_usage(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
) -> ApiResult<Json<StorageUsage>> {
    Ok(Json(state.services.quotas().storage_usage(&ctx, &scope).await?))
}
