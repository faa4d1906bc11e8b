use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::advisories::AdvisoryView;

/// `GET /api/v1/advisories/{advisory}`: 404 when missing, a report the caller does not
/// review, or of a package the caller cannot see.
pub async fn get_advisory(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AdvisoryView>> {
    Ok(Json(state.services.advisories().get_advisory(&ctx, &id).await?))
}
