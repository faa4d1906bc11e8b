use crate::error::{ApiResult, Json};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use trove_service::orgs::OrgView;
use trove_wire::NewOrg;

/// `POST /api/v1/orgs`: the caller becomes its first owner.
pub async fn create_org(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Json(body): Json<NewOrg>,
) -> ApiResult<(StatusCode, Json<OrgView>)> {
    let org = state
        .services
        .orgs()
        .create_org(&ctx, &body.name, body.description.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(org)))
}
