use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::retention::RetentionReport;

/// `POST /api/v1/namespaces/{scope}/retention/apply`: applies the policy now (as the retention
/// job does periodically) and collects the garbage it leaves.
pub async fn apply_retention(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
) -> ApiResult<Json<RetentionReport>> {
    Ok(Json(state.services.retention().apply(&ctx, &scope).await?))
}
