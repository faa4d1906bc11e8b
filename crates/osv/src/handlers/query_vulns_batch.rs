use super::json_body;
use crate::auth::Caller;
use crate::errors::{OsvError, OsvResult};
use crate::OsvState;
use axum::body::Body;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use trove_service::advisories::OsvQuery;

/// Queries one batch may hold (osv.dev's limit).
pub const MAX_QUERIES: usize = 1000;

#[derive(Deserialize)]
struct Batch {
    #[serde(default)]
    queries: Vec<OsvQuery>,
}

/// `POST /osv/v1/querybatch`: `{"queries": [...]}` → `{"results": [{"vulns": [{"id",
/// "modified"}]}, …]}`, one result per query in their order (`{}` for a query nothing
/// affects, as osv.dev answers). More than 1,000 queries: 400.
pub async fn query_vulns_batch(
    State(state): State<OsvState>,
    Caller(ctx): Caller,
    body: Body,
) -> OsvResult<Json<Value>> {
    let batch: Batch = json_body(body).await?;
    if batch.queries.len() > MAX_QUERIES {
        return Err(OsvError::bad_request(format!(
            "Too many queries: {} (at most {MAX_QUERIES} per batch)",
            batch.queries.len()
        )));
    }
    let results = state
        .services
        .advisories()
        .query_osv_batch(&ctx, &batch.queries)
        .await?;
    let results: Vec<Value> = results
        .into_iter()
        .map(|hits| {
            if hits.is_empty() {
                json!({})
            } else {
                let vulns: Vec<Value> = hits
                    .into_iter()
                    .map(|(id, modified)| json!({ "id": id, "modified": modified }))
                    .collect();
                json!({ "vulns": vulns })
            }
        })
        .collect();
    Ok(Json(json!({ "results": results })))
}
