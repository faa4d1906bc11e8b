use crate::error::{ApiResult, Json};
use crate::AppState;
use axum::extract::State;
use trove_service::device::DeviceAuthorization;
use trove_wire::DeviceCodeRequest;

/// `POST /api/v1/device/code` (anonymous): starts a device login. The response carries the
/// CLI's secret `device_code`, the `user_code` to approve and the polling `interval`.
pub async fn create_device_code(
    State(state): State<AppState>,
    Json(body): Json<DeviceCodeRequest>,
) -> ApiResult<Json<DeviceAuthorization>> {
    Ok(Json(
        state
            .services
            .accounts()
            .start_device_login(body.client_name.as_deref())
            .await?,
    ))
}
