//! Trove's OSV API: the endpoints of osv.dev's API with its request and response shapes, over
//! every advisory Trove holds (its own and imported ones), and a per-ecosystem export in the
//! layout of osv.dev's bucket (`{ecosystem}/all.zip` of `{id}.json`).
//!
//! - `POST /osv/v1/query`: `{"package": {"name", "ecosystem"} | {"purl"}, "version"?}` or
//!   `{"commit"}` → `{"vulns": [full OSV]}` (`{}` when none, as osv.dev answers).
//! - `POST /osv/v1/querybatch`: `{"queries": [query, …]}` (at most 1,000) →
//!   `{"results": [{"vulns": [{"id", "modified"}]}, …]}` in the order of the queries.
//! - `GET /osv/v1/vulns/{id}`: the OSV document; `{"code": 5, "message": "Bug not found."}`.
//! - `GET /osv/v1/export/{ecosystem}/all.zip` and `GET /osv/v1/export/ecosystems.txt`.

pub mod auth;
pub mod errors;
mod handlers;

use axum::routing::{get, post};
use axum::Router;
use trove_http::edge::{ErrorCode, FrontEnd};
use trove_service::Services;

/// What every `/osv` handler shares.
#[derive(Clone)]
pub struct OsvState {
    pub services: Services,
}

/// What the HTTP stack needs to know of `/osv`: no logins; errors in osv.dev's shape.
pub const FRONT_END: FrontEnd = FrontEnd {
    name: "osv",
    prefix: "/osv",
    logins: &[],
    error_body: osv_error_body,
};

fn osv_error_body(code: &ErrorCode, message: &str) -> (&'static str, Vec<u8>) {
    let grpc = match code {
        ErrorCode::RateLimited => 8,
        ErrorCode::RequestTimeout => 4,
    };
    (
        "application/json",
        errors::error_body(grpc, message).to_string().into_bytes(),
    )
}

/// The `/osv` router (merge it into the application at the root).
pub fn router(services: Services) -> Router {
    use handlers::*;
    let api = Router::new()
        .route("/v1/query", post(query_vulns::query_vulns))
        .route("/v1/querybatch", post(query_vulns_batch::query_vulns_batch))
        .route("/v1/vulns/{id}", get(get_vuln::get_vuln))
        .route("/v1/export/ecosystems.txt", get(export_vulns::list_ecosystems))
        .route("/v1/export/{ecosystem}/all.zip", get(export_vulns::export_vulns))
        .fallback(no_route)
        .with_state(OsvState { services });
    // Nested, so that the fallback (osv.dev's error shape) covers only `/osv/…`.
    Router::new().nest("/osv", api)
}
