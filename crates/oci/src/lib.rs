//! Trove's OCI distribution-spec v1.1 front-end under `/v2`: pull, push (monolithic,
//! chunked, resumable, cross-repository mount), tags, referrers, catalog, deletes, and the
//! docker-style token service. Handlers parse the request, call the service layer (where the
//! OCI rules live) and map its errors onto the spec's codes ([`errors`]); they never touch SQL.
//!
//! Repository names contain slashes, so everything below `/v2/` is one route whose tail is
//! parsed by [`route`]: `<name>/manifests/<ref>`, `<name>/blobs/<digest>`,
//! `<name>/blobs/uploads/[<id>]`, `<name>/tags/list`, `<name>/referrers/<digest>`.

pub mod auth;
mod body;
pub mod errors;
mod handlers;
pub mod request;
pub mod route;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{any, get};
use axum::Router;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::OnceCell;
use trove_http::edge::{ErrorCode, FrontEnd, LoginEndpoint, LoginSource};
use trove_service::Services;

/// The `[oci]` configuration section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OciConfig {
    /// Whether manifests, tags and blobs may be deleted through `/v2` (405 otherwise).
    pub delete_enabled: bool,
    /// Largest blob accepted, in bytes.
    pub max_blob_bytes: u64,
    /// Uploads untouched for this long are abandoned and removed.
    pub upload_ttl_secs: u64,
    /// How often abandoned uploads are looked for.
    pub sweep_interval_secs: u64,
    /// How often the online garbage collection runs (0: never; `trove admin gc` still works).
    pub gc_interval_secs: u64,
    /// Grace period of the online garbage collection: younger blobs are kept.
    pub gc_min_age_secs: u64,
    /// Lifetime of the registry tokens issued by `/v2/token`.
    pub token_ttl_secs: u64,
    /// The token service URL sent in challenges; defaults to `{server.base_url}/v2/token`, or
    /// to the request's own host when no base URL is configured.
    pub token_realm: Option<String>,
}

impl Default for OciConfig {
    fn default() -> Self {
        OciConfig {
            delete_enabled: true,
            max_blob_bytes: 10 * 1024 * 1024 * 1024,
            upload_ttl_secs: 24 * 3600,
            sweep_interval_secs: 300,
            gc_interval_secs: 3600,
            gc_min_age_secs: 3600,
            token_ttl_secs: 900,
            token_realm: None,
        }
    }
}

/// What every `/v2` handler shares.
#[derive(Clone)]
pub struct OciState {
    pub services: Services,
    pub config: Arc<OciConfig>,
    /// Where clients reach the registry (token realms).
    pub origin: trove_http::origin::Origin,
    key: Arc<OnceCell<Vec<u8>>>,
}

impl OciState {
    pub fn new(services: Services, config: OciConfig, origin: trove_http::origin::Origin) -> Self {
        OciState {
            services,
            config: Arc::new(config),
            origin,
            key: Arc::default(),
        }
    }

    /// The registry token signing key (loaded once from the database).
    pub async fn signing_key(&self) -> trove_service::Result<&[u8]> {
        self.key
            .get_or_try_init(|| async { self.services.oci().signing_key().await })
            .await
            .map(Vec::as_slice)
    }
}

/// The `/v2` router (merge it into the application at the root).
/// What the HTTP stack needs to know of `/v2`: the token service is a password login when it
/// is given credentials; errors use the distribution spec's envelope.
pub const FRONT_END: FrontEnd = FrontEnd {
    name: "oci",
    prefix: "/v2",
    logins: &[
        LoginEndpoint {
            method: Some("GET"),
            path: "/v2/token",
            source: LoginSource::Basic,
            always: false,
        },
        LoginEndpoint {
            method: Some("POST"),
            path: "/v2/token",
            source: LoginSource::BasicOrBody,
            always: false,
        },
    ],
    error_body: oci_error_body,
};

fn oci_error_body(code: &ErrorCode, message: &str) -> (&'static str, Vec<u8>) {
    let code = match code {
        ErrorCode::RateLimited => errors::Code::TooManyRequests,
        ErrorCode::RequestTimeout => errors::Code::BlobUploadInvalid,
    };
    let body = serde_json::json!({ "errors": [{ "code": code.as_str(), "message": message, "detail": {} }] });
    ("application/json", body.to_string().into_bytes())
}

pub fn router(services: Services, config: OciConfig, origin: trove_http::origin::Origin) -> Router {
    let state = OciState::new(services, config, origin);
    Router::new()
        .route("/v2", any(handlers::base::check_base))
        .route("/v2/", any(handlers::base::check_base))
        .route(
            "/v2/token",
            get(handlers::token::get_token).post(handlers::token::post_token),
        )
        .route("/v2/_catalog", any(handlers::catalog::list_catalog))
        .route("/v2/{*rest}", any(route::dispatch))
        .layer(axum::middleware::from_fn(api_version_header))
        .with_state(state)
}

/// Every `/v2` response says which API it speaks (Docker clients check this).
async fn api_version_header(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut().insert(
        "docker-distribution-api-version",
        HeaderValue::from_static("registry/2.0"),
    );
    res
}
