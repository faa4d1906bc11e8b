use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::views::PackageView;
use trove_wire::PackageUpdate;

/// `PATCH /api/v1/packages/{scope}/{name}` with `{"visibility": "private"}` (owners only).
pub async fn update_package(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name)): Path<(String, String)>,
    Json(body): Json<PackageUpdate>,
) -> ApiResult<Json<PackageView>> {
    Ok(Json(
        state
            .services
            .packages()
            .set_visibility(&ctx, &scope, &name, body.visibility)
            .await?,
    ))
}
