//! Trove's npm registry front-end under `/npm`: packuments (full and abbreviated), tarballs,
//! `npm publish`, dist-tags, deprecate, unpublish, owners, logins, whoami, search and the
//! audit endpoint, for npm, pnpm, yarn and bun. Handlers parse npm's requests, call the
//! service layer (`trove_service::npm`, where npm's rules live) and map its errors onto npm's
//! error shape ([`errors`]); they never touch SQL.
//!
//! Names: `@scope/name` is the Trove package `scope/name` of ecosystem `npm`; unscoped names
//! belong to the namespace `[npm] unscoped_namespace` names (see [`names`]).

pub mod auth;
pub mod errors;
mod handlers;
pub mod names;
mod render;
pub mod route;

use axum::routing::any;
use axum::Router;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use trove_http::edge::{ErrorCode, FrontEnd, LoginEndpoint, LoginSource};
use trove_http::origin::Origin;
use trove_service::Services;

/// The `[npm]` configuration section.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NpmConfig {
    /// The user or organization that owns unscoped names: with `"acme"`, the npm package
    /// `left-pad` is the Trove package `acme/left-pad` (and `@acme/…` names are not served,
    /// so that no package has two names). None: only scoped names (`@scope/name`) are served.
    pub unscoped_namespace: Option<String>,
    /// Largest `npm publish` body (JSON with the base64 tarball), refused with 413 before it is
    /// read whole. Default: room for a tarball of `[limits] max_archive_bytes` and 4 MiB of
    /// JSON around it.
    pub max_publish_bytes: Option<u64>,
}

/// What every `/npm` handler shares.
#[derive(Clone)]
pub struct NpmState {
    pub services: Services,
    pub config: Arc<NpmConfig>,
    /// Where clients reach this registry (the base of tarball URLs).
    pub origin: Origin,
    pub(crate) packuments: Arc<render::PackumentCache>,
}

impl NpmState {
    pub fn new(services: Services, config: NpmConfig, origin: Origin) -> Self {
        NpmState {
            services,
            config: Arc::new(config),
            origin,
            packuments: Arc::default(),
        }
    }

    /// Largest publish body.
    pub fn max_publish_bytes(&self) -> u64 {
        self.config
            .max_publish_bytes
            .unwrap_or_else(|| self.services.config.max_archive_bytes.div_ceil(3) * 4 + (4 << 20))
    }
}

/// What the HTTP stack needs to know of `/npm`: the legacy login (`npm login
/// --auth-type=legacy`, `npm adduser`) is a password login naming the user in `name`; errors
/// use npm's `{"error": …}` shape.
pub const FRONT_END: FrontEnd = FrontEnd {
    name: "npm",
    prefix: "/npm",
    logins: &[
        LoginEndpoint {
            method: Some("PUT"),
            path: "/npm/-/user/org.couchdb.user:*",
            source: LoginSource::BasicOrBodyField("name"),
            always: true,
        },
        // `npm token create` checks the caller's password: limited like a login (by address).
        LoginEndpoint {
            method: Some("POST"),
            path: "/npm/-/npm/v1/tokens",
            source: LoginSource::Basic,
            always: true,
        },
    ],
    error_body: npm_error_body,
};

fn npm_error_body(code: &ErrorCode, message: &str) -> (&'static str, Vec<u8>) {
    let code = match code {
        ErrorCode::RateLimited => "rate_limited",
        ErrorCode::RequestTimeout => "request_timeout",
    };
    ("application/json", errors::body(code, message))
}

/// The `/npm` router (merge it into the application at the root).
pub fn router(services: Services, config: NpmConfig, origin: Origin) -> Router {
    let state = NpmState::new(services, config, origin);
    Router::new()
        .route("/npm", any(route::registry_root))
        .route("/npm/", any(route::registry_root))
        .route("/npm/{*rest}", any(route::dispatch))
        .with_state(state)
}
