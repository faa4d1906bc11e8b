use crate::error::{ApiResult, Json};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use trove_service::accounts::NewUser;

/// `POST /api/v1/users`: self-service registration (403 `registration_closed` when off).
pub async fn register_user(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Json(body): Json<NewUser>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let user = state.services.accounts().register(&ctx, body).await?;
    Ok((StatusCode::CREATED, Json(crate::user_json(&user))))
}
