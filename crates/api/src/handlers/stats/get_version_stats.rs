use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::stats::VersionStats;

/// `GET /api/v1/packages/{scope}/{name}/versions/{version}/stats`: one version's downloads.
pub async fn get_version_stats(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name, version)): Path<(String, String, String)>,
) -> ApiResult<Json<VersionStats>> {
    Ok(Json(
        state
            .services
            .stats()
            .version_stats(&ctx, &scope, &name, &version)
            .await?,
    ))
}
