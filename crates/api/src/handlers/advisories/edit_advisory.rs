use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::advisories::{AdvisoryContent, AdvisoryView};

/// `PUT /api/v1/advisories/{advisory}`: replaces the content (summary, details, severity,
/// affected versions, …); imported advisories are read-only (409).
pub async fn edit_advisory(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Json(body): Json<AdvisoryContent>,
) -> ApiResult<Json<AdvisoryView>> {
    Ok(Json(state.services.advisories().edit_advisory(&ctx, &id, body).await?))
}
