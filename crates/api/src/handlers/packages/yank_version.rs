use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::views::VersionView;

/// `PUT /api/v1/packages/{scope}/{name}/versions/{version}/yank`
pub async fn yank_version(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name, version)): Path<(String, String, String)>,
) -> ApiResult<Json<VersionView>> {
    Ok(Json(
        state
            .services
            .packages()
            .set_yanked(&ctx, &scope, &name, &version, true)
            .await?,
    ))
}

/// `DELETE /api/v1/packages/{scope}/{name}/versions/{version}/yank`
pub async fn unyank_version(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name, version)): Path<(String, String, String)>,
) -> ApiResult<Json<VersionView>> {
    Ok(Json(
        state
            .services
            .packages()
            .set_yanked(&ctx, &scope, &name, &version, false)
            .await?,
    ))
}
