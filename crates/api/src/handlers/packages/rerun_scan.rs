use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::views::VersionView;

/// `POST /api/v1/packages/{scope}/{name}/versions/{version}/scan`
pub async fn rerun_scan(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name, version)): Path<(String, String, String)>,
) -> ApiResult<Json<VersionView>> {
    Ok(Json(
        state.services.scans().rerun_scan(&ctx, &scope, &name, &version).await?,
    ))
}
