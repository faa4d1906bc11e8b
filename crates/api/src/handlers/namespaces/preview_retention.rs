use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::retention::RetentionReport;

/// `GET /api/v1/namespaces/{scope}/retention/preview`: what applying the policy now would
/// delete, and what it keeps because other versions depend on it. Deletes nothing.
pub async fn preview_retention(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
) -> ApiResult<Json<RetentionReport>> {
    Ok(Json(state.services.retention().preview(&ctx, &scope).await?))
}
