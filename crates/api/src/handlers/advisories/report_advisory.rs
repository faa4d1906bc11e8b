use crate::error::{ApiResult, Json};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use trove_service::advisories::{AdvisoryView, NewAdvisory};

/// `POST /api/v1/advisories/reports`: any signed-in user reports an advisory of a package they
/// can see; it waits for the package's owners or a site admin and is not public until then.
pub async fn report_advisory(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Json(body): Json<NewAdvisory>,
) -> ApiResult<(StatusCode, Json<AdvisoryView>)> {
    let a = state.services.advisories().report_advisory(&ctx, body).await?;
    Ok((StatusCode::CREATED, Json(a)))
}
