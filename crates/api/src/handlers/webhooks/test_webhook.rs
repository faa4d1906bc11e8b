use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// `POST /api/v1/namespaces/{scope}/webhooks/{id}/test`: queues a `ping` delivery.
pub async fn test_webhook(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, id)): Path<(String, i64)>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let delivery = state.services.webhooks().test_webhook(&ctx, &scope, id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "delivery_id": delivery })),
    ))
}
