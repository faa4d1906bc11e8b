use crate::error::{ApiResult, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// `DELETE /api/v1/orgs/{org}/members/{username}`
pub async fn remove_member(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((org, username)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state.services.orgs().remove_member(&ctx, &org, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}
