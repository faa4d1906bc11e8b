use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::views::VersionView;

/// `GET /api/v1/packages/{scope}/{name}/versions`: newest first, yanked ones marked.
pub async fn list_versions(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name)): Path<(String, String)>,
) -> ApiResult<Json<Vec<VersionView>>> {
    Ok(Json(
        state.services.packages().list_versions(&ctx, &scope, &name).await?,
    ))
}
