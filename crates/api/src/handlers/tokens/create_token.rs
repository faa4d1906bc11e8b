use crate::error::{ApiResult, Json};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use trove_service::tokens::{CreatedToken, NewTokenRequest};

/// `POST /api/v1/tokens`: the secret is in the response and never shown again.
pub async fn create_token(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Json(body): Json<NewTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.tokens().create_token(&ctx, body).await?),
    ))
}
