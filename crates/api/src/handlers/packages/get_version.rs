use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::views::VersionView;

/// `GET /api/v1/packages/{scope}/{name}/versions/{version}`
pub async fn get_version(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name, version)): Path<(String, String, String)>,
) -> ApiResult<Json<VersionView>> {
    Ok(Json(
        state
            .services
            .packages()
            .get_version(&ctx, &scope, &name, &version)
            .await?,
    ))
}
