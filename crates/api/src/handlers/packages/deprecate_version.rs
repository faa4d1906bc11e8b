use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::views::VersionView;
use trove_wire::Deprecation;

/// `PUT /api/v1/packages/{scope}/{name}/versions/{version}/deprecation` with `{"message": "…"}`
pub async fn deprecate_version(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name, version)): Path<(String, String, String)>,
    Json(body): Json<Deprecation>,
) -> ApiResult<Json<VersionView>> {
    Ok(Json(
        state
            .services
            .packages()
            .set_deprecated(&ctx, &scope, &name, &version, Some(body.message))
            .await?,
    ))
}

/// `DELETE /api/v1/packages/{scope}/{name}/versions/{version}/deprecation`
pub async fn undeprecate_version(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name, version)): Path<(String, String, String)>,
) -> ApiResult<Json<VersionView>> {
    Ok(Json(
        state
            .services
            .packages()
            .set_deprecated(&ctx, &scope, &name, &version, None)
            .await?,
    ))
}
