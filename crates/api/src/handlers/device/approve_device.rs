use crate::error::{ApiResult, Json};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::device::DeviceDecision;
use trove_wire::UserCode;

/// `POST /api/v1/device/approve` with `{"user_code": "ABCD-EFGH"}`: the signed-in caller (a
/// session with its CSRF token, or an `admin`-scoped token) lets that pending CLI login in.
pub async fn approve_device(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Json(body): Json<UserCode>,
) -> ApiResult<Json<DeviceDecision>> {
    Ok(Json(
        state
            .services
            .accounts()
            .decide_device_login(&ctx, &body.user_code, true)
            .await?,
    ))
}
