use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use serde::Deserialize;
use trove_service::packages::OwnerView;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerRole {
    /// `owner` (default) or `maintainer`.
    #[serde(default = "owner")]
    pub role: String,
}

fn owner() -> String {
    "owner".into()
}

/// `PUT /api/v1/packages/{scope}/{name}/owners/{username}` with `{"role": "maintainer"}`
pub async fn add_owner(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name, username)): Path<(String, String, String)>,
    Json(body): Json<OwnerRole>,
) -> ApiResult<Json<Vec<OwnerView>>> {
    Ok(Json(
        state
            .services
            .packages()
            .add_owner(&ctx, &scope, &name, &username, &body.role)
            .await?,
    ))
}
