use crate::auth::{open_registry, Caller};
use crate::errors::CargoResult;
use crate::CargoState;
use axum::extract::Path;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use trove_core::Ecosystem;
use trove_service::search::{PackageSummary, SearchParams};
use trove_service::Ctx;

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    per_page: Option<String>,
}

/// `GET /cargo/{scope}/api/v1/crates?q=&per_page=` (`cargo search`): Trove's search over
/// the crates of this registry the caller can see.
pub async fn search_crates(
    State(state): State<CargoState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
    Query(query): Query<SearchQuery>,
    headers: HeaderMap,
) -> CargoResult<Json<Value>> {
    let registry = open_registry(&state, &ctx, &scope, &state.base(&headers)).await?;
    let per_page = query
        .per_page
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    // Filtered to this registry's namespace inside the search, so `total` counts exactly
    // the crates of this registry the caller may see.
    let params = SearchParams {
        q: Some(query.q.clone()),
        ecosystem: Some("cargo".into()),
        per_page: Some(per_page.to_string()),
        namespace_id: Some(registry.namespace_id),
        ..SearchParams::default()
    };
    let page = state.services.search().search_packages(&ctx, &params).await?;
    let mut crates = Vec::new();
    for r in &page.results {
        crates.push(json!({
            "name": spelling(&state, &ctx, r).await,
            "max_version": r.latest_version.clone().unwrap_or_default(),
            "description": r.description,
        }));
    }
    Ok(Json(json!({ "crates": crates, "meta": { "total": page.total } })))
}

/// The crate's name as published (Trove stores it lowercase): from its latest index line.
async fn spelling(state: &CargoState, ctx: &Ctx, r: &PackageSummary) -> String {
    let Some(latest) = &r.latest_version else {
        return r.name.clone();
    };
    let packages = state.services.packages().of(Ecosystem::Cargo);
    match packages.get_version(ctx, &r.scope, &r.name, latest).await {
        Ok(v) => v.manifest["name"].as_str().unwrap_or(&r.name).to_string(),
        Err(_) => r.name.clone(),
    }
}
