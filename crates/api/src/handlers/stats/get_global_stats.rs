use crate::error::{ApiResult, Json};
use crate::AppState;
use axum::extract::State;
use trove_service::stats::Totals;

/// `GET /api/v1/stats`: registry totals (public packages, their versions and downloads;
/// user accounts).
pub async fn get_global_stats(State(state): State<AppState>) -> ApiResult<Json<Totals>> {
    Ok(Json(state.services.stats().global_stats().await?))
}
