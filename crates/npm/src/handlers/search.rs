use super::json;
use crate::errors::NpmResult;
use crate::names::NpmName;
use crate::route::Req;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use trove_service::search::{SearchParams, MAX_PER_PAGE};

/// `GET /npm/-/v1/search?text=&size=&from=` (`npm search`): Trove's search over npm packages
/// the caller may see, in npm's shape. `from` is rounded down to a page of `size`.
pub async fn search(req: Req) -> NpmResult<Response> {
    let query = req.query();
    let param = |k: &str| query.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let size = param("size")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, MAX_PER_PAGE);
    let from = param("from").and_then(|s| s.parse::<usize>().ok()).unwrap_or(0);
    let params = SearchParams {
        q: param("text").map(str::to_string),
        ecosystem: Some("npm".into()),
        page: Some((from / size + 1).to_string()),
        per_page: Some(size.to_string()),
        ..SearchParams::default()
    };
    let page = req.state.services.search().search_packages(&req.ctx, &params).await?;
    let unscoped = req.state.config.unscoped_namespace.as_deref();
    let registry = req.registry_url();
    let objects: Vec<serde_json::Value> = page
        .results
        .iter()
        .map(|p| {
            let name = NpmName::of_package(&p.scope, &p.name, unscoped);
            let npm = name.npm();
            json!({
                "package": {
                    "name": npm,
                    "scope": if name.scoped { p.scope.as_str() } else { "unscoped" },
                    "version": p.latest_version,
                    "description": p.description,
                    "keywords": p.keywords,
                    "date": p.updated_at,
                    "links": { "npm": format!("{registry}/{npm}") },
                    "maintainers": [],
                },
                "downloads": { "monthly": p.downloads, "weekly": 0 },
                "score": { "final": 1.0, "detail": { "quality": 1.0, "popularity": 1.0, "maintenance": 1.0 } },
                "searchScore": 1.0,
                "flags": { "insecure": 0 },
            })
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        json!({
            "objects": objects,
            "total": page.total,
            "time": trove_core::time::rfc3339(trove_core::now_ms()),
        }),
    ))
}
