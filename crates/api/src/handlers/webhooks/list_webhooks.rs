use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::webhooks::WebhookView;

/// `GET /api/v1/namespaces/{scope}/webhooks`
pub async fn list_webhooks(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
) -> ApiResult<Json<Vec<WebhookView>>> {
    Ok(Json(state.services.webhooks().list_webhooks(&ctx, &scope).await?))
}
