use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::packages::OwnerView;
use trove_wire::OwnerRoleRequest;

/// `PUT /api/v1/packages/{scope}/{name}/owners/{username}` with `{"role": "maintainer"}`
pub async fn add_owner(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name, username)): Path<(String, String, String)>,
    Json(body): Json<OwnerRoleRequest>,
) -> ApiResult<Json<Vec<OwnerView>>> {
    Ok(Json(
        state
            .services
            .packages()
            .add_owner(&ctx, &scope, &name, &username, &body.role)
            .await?,
    ))
}
