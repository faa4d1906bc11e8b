use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::advisories::AdvisoryView;

/// `POST /api/v1/advisories/{advisory}/accept`: accepts a report (the package's owners and
/// maintainers, site admins).
pub async fn accept_advisory(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AdvisoryView>> {
    Ok(Json(state.services.advisories().accept_advisory(&ctx, &id).await?))
}
