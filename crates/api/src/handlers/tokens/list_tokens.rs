use crate::error::{ApiResult, Json};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::tokens::TokenView;

/// `GET /api/v1/tokens`: the caller's live tokens with last use (never the secrets).
pub async fn list_tokens(State(state): State<AppState>, Caller(ctx): Caller) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(state.services.tokens().list_tokens(&ctx).await?))
}
