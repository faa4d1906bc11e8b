//! Trove's PyPI front-end under `/pypi`: every namespace is a Python package index.
//!
//! - `POST /pypi/{scope}/`: the legacy upload API twine and `uv publish` use (multipart
//!   `:action=file_upload`), HTTP Basic `__token__:<token>` or username and password;
//! - `GET /pypi/{scope}/simple/` and `/simple/{project}/`: the simple repository API in HTML
//!   (PEP 503) and JSON (PEP 691) by content negotiation, with PEP 592, 658/714 and 700;
//! - `GET /pypi/{scope}/files/{project}/{filename}` (and `{filename}.metadata`): the files;
//! - `GET /pypi/{scope}/{project}/json`: the Warehouse JSON API (info, releases, urls).
//!
//! Projects are Trove packages `scope/name` of ecosystem `pypi` whose name is the PEP 503
//! normalized project name. Handlers parse the protocol and call the service layer, where
//! access, privacy and the publish transaction live; errors go through [`errors`].

pub mod archive;
pub mod auth;
pub mod errors;
mod form;
mod handlers;
pub mod metadata;
pub mod names;
pub mod simple;

use axum::routing::get;
use axum::Router;
use trove_http::edge::{ErrorCode, FrontEnd};
use trove_http::origin::Origin;
use trove_service::Services;

/// What every `/pypi` handler shares.
#[derive(Clone)]
pub struct PypiState {
    pub services: Services,
    /// Where clients reach this registry (absolute URLs of the JSON API).
    pub origin: Origin,
    /// Rendered project pages for anonymous readers of public projects, per node: valid
    /// while no local write committed and for at most a second (as Cargo's index files), so
    /// a node reads its own writes and other nodes' show within that time.
    pub pages: std::sync::Arc<
        trove_service::package_cache::GenerationCache<(String, String, simple::Format), std::sync::Arc<handlers::Page>>,
    >,
}

/// What the HTTP stack needs to know of `/pypi`: credentials ride on every request (no login
/// endpoint; rejected ones count against the client's address like everywhere), and errors
/// are plain text.
pub const FRONT_END: FrontEnd = FrontEnd {
    name: "pypi",
    prefix: "/pypi",
    logins: &[],
    error_body: pypi_error_body,
};

fn pypi_error_body(_: &ErrorCode, message: &str) -> (&'static str, Vec<u8>) {
    ("text/plain; charset=utf-8", format!("{message}\n").into_bytes())
}

/// The `/pypi` router (merge it into the application at the root).
pub fn router(services: Services, origin: Origin) -> Router {
    use handlers::*;
    Router::new()
        .route("/pypi/{scope}", axum::routing::post(upload_file::upload_file))
        .route("/pypi/{scope}/", axum::routing::post(upload_file::upload_file))
        .route("/pypi/{scope}/legacy/", axum::routing::post(upload_file::upload_file))
        .route("/pypi/{scope}/simple", get(list_projects::redirect_index))
        .route("/pypi/{scope}/simple/", get(list_projects::list_projects))
        .route("/pypi/{scope}/simple/{project}", get(get_project::redirect_project))
        .route("/pypi/{scope}/simple/{project}/", get(get_project::get_project))
        .route(
            "/pypi/{scope}/files/{project}/{filename}",
            get(download_file::download_file),
        )
        .route("/pypi/{scope}/{project}/json", get(get_project_json::get_project_json))
        .with_state(PypiState {
            services,
            origin,
            pages: std::sync::Arc::new(trove_service::package_cache::GenerationCache::new(20_000)),
        })
}
