use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::orgs::MemberView;
use trove_wire::MemberRole;

/// `PUT /api/v1/orgs/{org}/members/{username}` with `{"role": "write"}`.
pub async fn set_member(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((org, username)): Path<(String, String)>,
    Json(body): Json<MemberRole>,
) -> ApiResult<Json<Vec<MemberView>>> {
    Ok(Json(
        state
            .services
            .orgs()
            .set_member(&ctx, &org, &username, &body.role)
            .await?,
    ))
}
