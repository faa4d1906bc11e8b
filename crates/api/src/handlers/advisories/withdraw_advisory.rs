use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::advisories::{AdvisoryView, AdvisoryWithdrawal};

/// `POST /api/v1/advisories/{advisory}/withdraw`: the advisory stays served, with `withdrawn`.
pub async fn withdraw_advisory(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Json(body): Json<AdvisoryWithdrawal>,
) -> ApiResult<Json<AdvisoryView>> {
    Ok(Json(
        state
            .services
            .advisories()
            .withdraw_advisory(&ctx, &id, &body.reason)
            .await?,
    ))
}
