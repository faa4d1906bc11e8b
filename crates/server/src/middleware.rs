//! Per-request logging and metrics, labelled by route template and status.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| route_of(req.uri().path()));
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    let labels = [
        ("method", method.to_string()),
        ("route", route.clone()),
        ("status", status.to_string()),
    ];
    metrics::counter!("trove_http_requests_total", &labels).increment(1);
    metrics::histogram!("trove_http_request_duration_seconds", "route" => route.clone()).record(elapsed.as_secs_f64());
    if route != "/health/live" && route != "/metrics" {
        tracing::info!(
            request_id = %request_id,
            method = %method,
            path = %path,
            route = %route,
            status,
            ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        );
    }
    res
}

/// Nested routers add `MatchedPath` only inside; outside, group by a coarse template so
/// labels stay few.
fn route_of(path: &str) -> String {
    let mut segs = path.split('/').filter(|s| !s.is_empty());
    match (segs.next(), segs.next(), segs.next()) {
        (Some("api"), Some("v1"), Some(res)) => format!("/api/v1/{res}/*"),
        (Some("health"), Some(x), _) => format!("/health/{x}"),
        (Some("metrics"), _, _) => "/metrics".into(),
        _ => "other".into(),
    }
}
