use crate::error::{ApiResult, Json};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::device::DeviceGrant;
use trove_wire::DeviceTokenRequest;

/// `POST /api/v1/device/token` with `{"device_code": "…"}`: the CLI's poll. 400 with the RFC 8628
/// codes `authorization_pending`, `slow_down`, `expired_token`, `access_denied` or
/// `invalid_grant` until approved; then a new API token of the approving user, once.
pub async fn poll_device_token(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Json(body): Json<DeviceTokenRequest>,
) -> ApiResult<Json<DeviceGrant>> {
    Ok(Json(
        state
            .services
            .accounts()
            .poll_device_login(&ctx, &body.device_code)
            .await?,
    ))
}
