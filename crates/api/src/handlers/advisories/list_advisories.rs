use crate::error::{ApiResult, Json, Query};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use serde::Deserialize;
use trove_service::advisories::{AdvisoryView, ListQuery};

#[derive(Deserialize)]
pub struct ListParams {
    pub ecosystem: Option<String>,
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub before: Option<String>,
}

/// `GET /api/v1/advisories`: published advisories the caller may see (Trove's and imported
/// ones), newest modification first.
pub async fn list_advisories(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Vec<AdvisoryView>>> {
    let q = ListQuery {
        ecosystem: p.ecosystem,
        q: p.q,
        limit: p.limit,
        before: p.before,
    };
    Ok(Json(state.services.advisories().list_advisories(&ctx, q).await?))
}
