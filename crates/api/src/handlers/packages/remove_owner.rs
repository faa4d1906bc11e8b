use crate::error::{ApiResult, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// `DELETE /api/v1/packages/{scope}/{name}/owners/{username}`
pub async fn remove_owner(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name, username)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .packages()
        .remove_owner(&ctx, &scope, &name, &username)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
