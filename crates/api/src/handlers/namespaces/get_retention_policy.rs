use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::retention::RetentionPolicy;

/// `GET /api/v1/namespaces/{scope}/retention`: owners and admins of the namespace.
pub async fn get_retention_policy(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
) -> ApiResult<Json<RetentionPolicy>> {
    Ok(Json(state.services.retention().get_policy(&ctx, &scope).await?))
}
