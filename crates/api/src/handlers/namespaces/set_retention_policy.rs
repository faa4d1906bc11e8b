use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::retention::{RetentionPolicy, RetentionRules};

/// `PUT /api/v1/namespaces/{scope}/retention` with `{"keep_last": 5, "max_age_days": 30,
/// "pattern": "*-dev*", "delete_untagged": true}` (every member optional, one rule at least).
pub async fn set_retention_policy(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
    Json(body): Json<RetentionRules>,
) -> ApiResult<Json<RetentionPolicy>> {
    Ok(Json(state.services.retention().set_policy(&ctx, &scope, body).await?))
}
