use crate::error::{ApiResult, Json};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::device::DeviceDecision;
use trove_wire::UserCode;

/// `POST /api/v1/device/deny` with `{"user_code": "ABCD-EFGH"}`: refuses a pending CLI login;
/// its next poll gets `access_denied`.
pub async fn deny_device(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Json(body): Json<UserCode>,
) -> ApiResult<Json<DeviceDecision>> {
    Ok(Json(
        state
            .services
            .accounts()
            .decide_device_login(&ctx, &body.user_code, false)
            .await?,
    ))
}
