use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use trove_wire::DeliveryQueued;

/// `POST /api/v1/namespaces/{scope}/webhooks/{id}/test`: queues a `ping` delivery.
pub async fn test_webhook(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, id)): Path<(String, i64)>,
) -> ApiResult<(StatusCode, Json<DeliveryQueued>)> {
    let delivery = state.services.webhooks().test_webhook(&ctx, &scope, id).await?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryQueued { delivery_id: delivery })))
}
