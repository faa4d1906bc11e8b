use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::webhooks::DeliveryView;

/// `GET /api/v1/namespaces/{scope}/webhooks/{id}/deliveries`: newest first, with attempts.
pub async fn list_webhook_deliveries(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, id)): Path<(String, i64)>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    Ok(Json(
        state.services.webhooks().webhook_deliveries(&ctx, &scope, id).await?,
    ))
}
