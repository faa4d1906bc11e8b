use crate::error::{ApiResult, Json};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use trove_service::accounts::NewUser;
use trove_service::views::{user_view, UserView};

/// `POST /api/v1/users`: self-service registration (403 `registration_closed` when off).
pub async fn register_user(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Json(body): Json<NewUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let user = state.services.accounts().register(&ctx, body).await?;
    Ok((StatusCode::CREATED, Json(user_view(&user))))
}
