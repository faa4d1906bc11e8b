use crate::error::{ApiResult, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// `DELETE /api/v1/packages/{scope}/{name}/versions/{version}`: within the grace period
/// (72 h by default) or by a site admin. The number is never reusable.
pub async fn delete_version(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name, version)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .packages()
        .delete_version(&ctx, &scope, &name, &version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
