use crate::error::{ApiResult, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// `DELETE /api/v1/tokens/{id}`
pub async fn revoke_token(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.services.tokens().revoke_token(&ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
