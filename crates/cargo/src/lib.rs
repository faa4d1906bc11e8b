//! Trove's Cargo alternate registry front-end: every namespace is a registry at
//! `{base}/cargo/{scope}/index/` (sparse protocol) whose `config.json` points cargo at the
//! web API (`{base}/cargo/{scope}/api/v1/…`: publish, yank, owners, search) and at the
//! downloads (`{base}/cargo/{scope}/api/v1/crates/{crate}/{version}/download`). Crates are
//! Trove packages of ecosystem `cargo`; handlers parse cargo's requests, call the service
//! layer and answer in cargo's error shape ([`errors`]).

pub mod auth;
pub mod cache;
pub mod errors;
mod handlers;
pub mod metadata;
pub mod names;
pub mod wire;

use axum::http::HeaderMap;
use axum::routing::{delete, get, put};
use axum::Router;
use trove_http::edge::{ErrorCode, FrontEnd};
use trove_http::origin::Origin;
use trove_service::Services;

/// What every `/cargo` handler shares.
#[derive(Clone)]
pub struct CargoState {
    pub services: Services,
    /// Where clients reach this server (for `config.json`'s `dl` and `api`).
    pub origin: Origin,
    /// Rendered index files of public registries.
    pub index_cache: std::sync::Arc<cache::IndexCache>,
}

impl CargoState {
    /// The server's public URL: `server.base_url`, else the request's own origin.
    pub fn base(&self, headers: &HeaderMap) -> String {
        self.origin.of(headers)
    }
}

/// What the HTTP stack needs to know of `/cargo`: no password logins (cargo only sends
/// tokens); errors in cargo's shape.
pub const FRONT_END: FrontEnd = FrontEnd {
    name: "cargo",
    prefix: "/cargo",
    logins: &[],
    error_body: cargo_error_body,
};

fn cargo_error_body(_code: &ErrorCode, message: &str) -> (&'static str, Vec<u8>) {
    ("application/json", errors::error_body(message).to_string().into_bytes())
}

/// The `/cargo` router (merge it into the application at the root).
pub fn router(services: Services, origin: Origin) -> Router {
    use handlers::*;
    let state = CargoState {
        services,
        origin,
        index_cache: Default::default(),
    };
    let api = "/{scope}/api/v1/crates";
    let registry = Router::new()
        .route("/{scope}/index/config.json", get(get_config::get_config))
        .route("/{scope}/index/{*path}", get(get_index_file::get_index_file))
        .route(
            "/{scope}/settings",
            get(get_registry::get_registry).put(update_registry::update_registry),
        )
        .route(api, get(search_crates::search_crates))
        .route(&format!("{api}/new"), put(publish_crate::publish_crate))
        .route(
            &format!("{api}/{{name}}/{{version}}/yank"),
            delete(yank_crate::yank_crate),
        )
        .route(
            &format!("{api}/{{name}}/{{version}}/unyank"),
            put(unyank_crate::unyank_crate),
        )
        .route(
            &format!("{api}/{{name}}/{{version}}/download"),
            get(download_crate::download_crate),
        )
        .route(
            &format!("{api}/{{name}}/owners"),
            get(list_owners::list_owners)
                .put(add_owners::add_owners)
                .delete(remove_owners::remove_owners),
        )
        .fallback(handlers::no_route)
        .with_state(state);
    // Nested, so that the fallback (cargo's error shape) covers only `/cargo/…`.
    Router::new().nest("/cargo", registry)
}
