use crate::error::{ApiResult, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// `DELETE /api/v1/namespaces/{scope}/webhooks/{id}`
pub async fn delete_webhook(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, id)): Path<(String, i64)>,
) -> ApiResult<StatusCode> {
    state.services.webhooks().delete_webhook(&ctx, &scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
