use crate::error::{ApiResult, Json};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use trove_service::advisories::{AdvisoryView, NewAdvisory};

/// `POST /api/v1/advisories`: publishes an advisory of a package (its owners and maintainers,
/// site admins); the id `TROVE-YYYY-N` is allocated here.
pub async fn create_advisory(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Json(body): Json<NewAdvisory>,
) -> ApiResult<(StatusCode, Json<AdvisoryView>)> {
    let a = state.services.advisories().create_advisory(&ctx, body).await?;
    Ok((StatusCode::CREATED, Json(a)))
}
