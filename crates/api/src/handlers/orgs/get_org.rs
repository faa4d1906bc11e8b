use crate::error::{ApiResult, Json, Path};
use crate::AppState;
use axum::extract::State;
use trove_service::orgs::OrgView;

/// `GET /api/v1/orgs/{org}`: the organization and its members.
pub async fn get_org(State(state): State<AppState>, Path(org): Path<String>) -> ApiResult<Json<OrgView>> {
    Ok(Json(state.services.orgs().get_org(&org).await?))
}
