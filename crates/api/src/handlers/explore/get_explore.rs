use crate::error::{ApiResult, Json};
use crate::AppState;
use axum::extract::State;
use trove_service::stats::Explore;

/// `GET /api/v1/explore`: totals, trending, most downloaded and recently updated packages
/// (public packages only).
pub async fn get_explore(State(state): State<AppState>) -> ApiResult<Json<Explore>> {
    Ok(Json(state.services.stats().explore().await?))
}
