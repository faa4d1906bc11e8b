use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::views::VersionView;
use trove_wire::Yank;

/// `PUT /api/v1/packages/{scope}/{name}/versions/{version}/yank`, optionally with
/// `{"reason": "…"}`
pub async fn yank_version(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name, version)): Path<(String, String, String)>,
    body: Option<Json<Yank>>,
) -> ApiResult<Json<VersionView>> {
    let reason = body.and_then(|Json(b)| b.reason);
    Ok(Json(
        state
            .services
            .packages()
            .set_yanked(&ctx, &scope, &name, &version, true, reason.as_deref())
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
            .set_yanked(&ctx, &scope, &name, &version, false, None)
            .await?,
    ))
}
