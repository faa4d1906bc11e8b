use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::quotas::{QuotaUpdate, StorageUsage};

/// `PUT /api/v1/namespaces/{scope}/quota` with `{"max_bytes": 1073741824}` (null removes it):
/// site admins.
pub async fn set_quota(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
    Json(body): Json<QuotaUpdate>,
) -> ApiResult<Json<StorageUsage>> {
    Ok(Json(
        state.services.quotas().set_quota(&ctx, &scope, body.max_bytes).await?,
    ))
}
