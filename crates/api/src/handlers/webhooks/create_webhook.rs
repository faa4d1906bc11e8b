use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use trove_service::webhooks::{CreatedWebhook, NewWebhook};

/// `POST /api/v1/namespaces/{scope}/webhooks` with `{"url": "...", "events": ["publish"]}`:
/// the signing secret is in the response and never shown again.
pub async fn create_webhook(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
    Json(body): Json<NewWebhook>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.webhooks().create_webhook(&ctx, &scope, body).await?),
    ))
}
