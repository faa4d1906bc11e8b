use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::stats::PackageStats;

/// `GET /api/v1/packages/{scope}/{name}/stats`: downloads in total, over the last 7, 30 and
/// 365 days, per day for 90 days, and per version.
pub async fn get_package_stats(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name)): Path<(String, String)>,
) -> ApiResult<Json<PackageStats>> {
    Ok(Json(state.services.stats().package_stats(&ctx, &scope, &name).await?))
}
