use crate::error::{ApiResult, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// `DELETE /api/v1/namespaces/{scope}/retention`
pub async fn delete_retention_policy(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.retention().delete_policy(&ctx, &scope).await?;
    Ok(StatusCode::NO_CONTENT)
}
