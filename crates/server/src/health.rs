//! `/health/live`, `/health/ready` and `/metrics`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::time::Duration;
use trove_service::Services;

pub fn router(services: Services) -> Router {
    Router::new()
        .route("/health/live", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics_text))
        .with_state(services)
}

/// 200 when the database and storage both accept a write and the search index is built;
/// 503 naming what is not.
async fn ready(State(s): State<Services>) -> impl IntoResponse {
    let limit = Duration::from_secs(3);
    let db = match tokio::time::timeout(limit, s.db.check_writable()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".to_string()),
    };
    let storage = match tokio::time::timeout(limit, s.store.check()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".to_string()),
    };
    let show = |r: &Result<(), String>| match r {
        Ok(()) => json!({ "status": "ok" }),
        Err(e) => json!({ "status": "error", "error": e }),
    };
    let search = if s.search_index.is_built() {
        Ok(())
    } else {
        Err("the search index is being built".to_string())
    };
    let ok = db.is_ok() && storage.is_ok() && search.is_ok();
    let body = json!({
        "status": if ok { "ok" } else { "unavailable" },
        "checks": { "database": show(&db), "storage": show(&storage), "search": show(&search) },
    });
    if !ok {
        tracing::warn!(%body, "not ready");
    }
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(body),
    )
}

async fn metrics_text(State(s): State<Services>) -> impl IntoResponse {
    let handle = crate::telemetry::install_metrics();
    let (size, idle) = s.db.pool_stats();
    metrics::gauge!("trove_db_pool_connections").set(size as f64);
    metrics::gauge!("trove_db_pool_idle_connections").set(idle as f64);
    metrics::gauge!("trove_downloads_pending").set(s.downloads.pending() as f64);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render())
}
