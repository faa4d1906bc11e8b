use super::json_body;
use crate::auth::Caller;
use crate::errors::OsvResult;
use crate::OsvState;
use axum::body::Body;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use trove_service::advisories::OsvQuery;

/// `POST /osv/v1/query`: the advisories affecting a package (at a version, when given), as
/// full OSV documents: `{"vulns": […]}`, or `{}` when there are none (as osv.dev answers).
/// Everything matches on one page, so no `next_page_token` is ever returned.
pub async fn query_vulns(State(state): State<OsvState>, Caller(ctx): Caller, body: Body) -> OsvResult<Json<Value>> {
    let query: OsvQuery = json_body(body).await?;
    let vulns = state.services.advisories().query_osv(&ctx, &query).await?;
    Ok(Json(if vulns.is_empty() {
        json!({})
    } else {
        json!({ "vulns": vulns })
    }))
}
