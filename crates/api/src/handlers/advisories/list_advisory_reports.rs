use crate::error::{ApiResult, Json};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::advisories::AdvisoryView;

/// `GET /api/v1/advisories/reports`: the review queue — reports of packages whose advisories
/// the caller manages (all of them for site admins), newest first.
pub async fn list_advisory_reports(
    State(state): State<AppState>,
    Caller(ctx): Caller,
) -> ApiResult<Json<Vec<AdvisoryView>>> {
    Ok(Json(state.services.advisories().review_queue(&ctx).await?))
}
