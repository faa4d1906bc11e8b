use crate::error::{ApiResult, Json, Query};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::search::{SearchPage, SearchParams};

/// `GET /api/v1/search?q=&ecosystem=&kind=&category=&license=&keyword=&sort=&page=&per_page=`:
/// full-text search over the packages the caller may see, with facet counts.
pub async fn search_packages(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Query(params): Query<SearchParams>,
) -> ApiResult<Json<SearchPage>> {
    Ok(Json(state.services.search().search_packages(&ctx, &params).await?))
}
