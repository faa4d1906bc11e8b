use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::views::PackageView;

/// `GET /api/v1/packages/{scope}/{name}`
pub async fn get_package(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name)): Path<(String, String)>,
) -> ApiResult<Json<PackageView>> {
    Ok(Json(state.services.packages().get_package(&ctx, &scope, &name).await?))
}
