//! The native REST API under `/api/v1`. Every route is declared once in [`ROUTES`]; the
//! router and the OpenAPI document are both built from that table, so they cannot drift.

pub mod error;
pub mod extract;
pub mod handlers;
mod openapi;
mod schemas;

use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::Router;
use handlers::*;
use trove_service::Services;

pub use openapi::openapi_document;

use trove_http::edge::{json_error_body, FrontEnd, LoginEndpoint, LoginSource};

/// What the HTTP stack needs to know of this front-end: its prefix, its password login and
/// its error body.
pub const FRONT_END: FrontEnd = FrontEnd {
    name: "api",
    prefix: "/api/v1",
    logins: &[LoginEndpoint {
        method: Some("POST"),
        path: "/api/v1/session",
        source: LoginSource::BasicOrBody,
        always: true,
    }],
    error_body: json_error_body,
};

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
}

/// One API operation.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    /// `none`, `json` or `gzip`.
    pub body: &'static str,
    /// Success status.
    pub status: u16,
}

macro_rules! routes {
    ($($method:ident $path:literal => $handler:path, $tag:literal, $body:literal, $status:literal, $summary:literal;)+) => {
        pub const ROUTES: &[Route] = &[$(Route {
            method: stringify!($method),
            path: $path,
            operation_id: stringify!($handler),
            summary: $summary,
            tag: $tag,
            body: $body,
            status: $status,
        }),+];

        fn method_routers() -> Vec<(&'static str, MethodRouter<AppState>)> {
            vec![$(($path, $method($handler))),+]
        }
    };
}

routes! {
    post "/users" => users::register_user, "accounts", "json", 201, "Register an account";
    get "/me" => users::get_me, "accounts", "none", 200, "The authenticated caller";
    post "/session" => session::create_session, "accounts", "json", 200, "Log in with a password (sets a session cookie)";
    delete "/session" => session::delete_session, "accounts", "none", 204, "Log out";
    get "/tokens" => tokens::list_tokens, "tokens", "none", 200, "List your API tokens";
    post "/tokens" => tokens::create_token, "tokens", "json", 201, "Create an API token (the secret is shown once)";
    delete "/tokens/{id}" => tokens::revoke_token, "tokens", "none", 204, "Revoke an API token";
    post "/device/code" => device::create_device_code, "accounts", "json", 200, "Start a CLI device login (RFC 8628)";
    post "/device/approve" => device::approve_device, "accounts", "json", 200, "Approve a pending device login by its user code";
    post "/device/deny" => device::deny_device, "accounts", "json", 200, "Deny a pending device login by its user code";
    post "/device/token" => device::poll_device_token, "accounts", "json", 200, "Poll a device login; returns an API token once approved";
    post "/orgs" => orgs::create_org, "organizations", "json", 201, "Create an organization";
    get "/orgs/{org}" => orgs::get_org, "organizations", "none", 200, "An organization and its members";
    put "/orgs/{org}/members/{username}" => orgs::set_member, "organizations", "json", 200, "Add a member or change their role";
    delete "/orgs/{org}/members/{username}" => orgs::remove_member, "organizations", "none", 204, "Remove a member";
    get "/namespaces/{scope}/packages" => packages::list_namespace_packages, "packages", "none", 200, "Packages in a namespace";
    get "/packages/{scope}/{name}" => packages::get_package, "packages", "none", 200, "Package metadata";
    patch "/packages/{scope}/{name}" => packages::update_package, "packages", "json", 200, "Change a package's visibility";
    get "/packages/{scope}/{name}/versions" => packages::list_versions, "packages", "none", 200, "List versions, newest first";
    put "/packages/{scope}/{name}/versions/{version}" => packages::publish_version, "packages", "gzip", 201, "Publish a version (body: the .tar.gz archive)";
    get "/packages/{scope}/{name}/versions/{version}" => packages::get_version, "packages", "none", 200, "Version metadata";
    delete "/packages/{scope}/{name}/versions/{version}" => packages::delete_version, "packages", "none", 204, "Delete a version within the grace period";
    get "/packages/{scope}/{name}/versions/{version}/download" => packages::download_version, "packages", "none", 200, "Download the archive (HEAD and Range supported)";
    put "/packages/{scope}/{name}/versions/{version}/yank" => packages::yank_version, "packages", "json", 200, "Yank a version (optional body: the reason)";
    delete "/packages/{scope}/{name}/versions/{version}/yank" => packages::unyank_version, "packages", "none", 200, "Unyank a version";
    put "/packages/{scope}/{name}/versions/{version}/deprecation" => packages::deprecate_version, "packages", "json", 200, "Deprecate a version with a message";
    delete "/packages/{scope}/{name}/versions/{version}/deprecation" => packages::undeprecate_version, "packages", "none", 200, "Remove a deprecation";
    post "/packages/{scope}/{name}/versions/{version}/scan" => packages::rerun_scan, "packages", "none", 200, "Queue a version's publish-time scan again (site admins)";
    get "/packages/{scope}/{name}/owners" => packages::list_owners, "owners", "none", 200, "List owners and maintainers";
    put "/packages/{scope}/{name}/owners/{username}" => packages::add_owner, "owners", "json", 200, "Add an owner or maintainer";
    delete "/packages/{scope}/{name}/owners/{username}" => packages::remove_owner, "owners", "none", 204, "Remove an owner or maintainer";
    get "/audit" => audit::list_audit, "admin", "none", 200, "Read the audit log";
    get "/search" => search::search_packages, "discovery", "none", 200, "Search packages: full text, typo tolerant, with facets, sorting and pages";
    get "/categories" => explore::list_categories, "discovery", "none", 200, "Categories with their number of public packages";
    get "/explore" => explore::get_explore, "discovery", "none", 200, "Totals, trending, most downloaded and recently updated packages";
    get "/stats" => stats::get_global_stats, "stats", "none", 200, "Registry totals: packages, versions, downloads, users";
    get "/packages/{scope}/{name}/stats" => stats::get_package_stats, "stats", "none", 200, "A package's downloads: total, last 7/30/365 days, daily, per version";
    get "/packages/{scope}/{name}/versions/{version}/stats" => stats::get_version_stats, "stats", "none", 200, "A version's downloads: total, last 7/30/365 days, daily";
    get "/namespaces/{scope}/webhooks" => webhooks::list_webhooks, "webhooks", "none", 200, "List a namespace's webhooks";
    post "/namespaces/{scope}/webhooks" => webhooks::create_webhook, "webhooks", "json", 201, "Register a webhook (the signing secret is shown once)";
    delete "/namespaces/{scope}/webhooks/{id}" => webhooks::delete_webhook, "webhooks", "none", 204, "Delete a webhook and its delivery log";
    get "/namespaces/{scope}/webhooks/{id}/deliveries" => webhooks::list_webhook_deliveries, "webhooks", "none", 200, "A webhook's latest deliveries with their attempts";
    post "/namespaces/{scope}/webhooks/{id}/test" => webhooks::test_webhook, "webhooks", "none", 202, "Queue a ping delivery";
    get "/advisories" => advisories::list_advisories, "advisories", "none", 200, "Published security advisories, newest modification first";
    post "/advisories" => advisories::create_advisory, "advisories", "json", 201, "Publish an advisory of a package (its owners and maintainers, site admins)";
    get "/advisories/reports" => advisories::list_advisory_reports, "advisories", "none", 200, "The review queue: reported advisories of packages you manage";
    post "/advisories/reports" => advisories::report_advisory, "advisories", "json", 201, "Report an advisory of a package (any signed-in user); waits for review";
    get "/advisories/{advisory}" => advisories::get_advisory, "advisories", "none", 200, "An advisory with its OSV document";
    put "/advisories/{advisory}" => advisories::edit_advisory, "advisories", "json", 200, "Replace an advisory's content";
    post "/advisories/{advisory}/withdraw" => advisories::withdraw_advisory, "advisories", "json", 200, "Withdraw an advisory (it stays served, marked withdrawn)";
    post "/advisories/{advisory}/accept" => advisories::accept_advisory, "advisories", "none", 200, "Accept a report: the advisory is published";
    post "/advisories/{advisory}/reject" => advisories::reject_advisory, "advisories", "none", 200, "Reject a report";
    get "/namespaces/{scope}/retention" => namespaces::get_retention_policy, "retention", "none", 200, "A namespace's retention policy";
    put "/namespaces/{scope}/retention" => namespaces::set_retention_policy, "retention", "json", 200, "Set a namespace's retention policy (owners and admins)";
    delete "/namespaces/{scope}/retention" => namespaces::delete_retention_policy, "retention", "none", 204, "Remove a namespace's retention policy";
    get "/namespaces/{scope}/retention/preview" => namespaces::preview_retention, "retention", "none", 200, "Dry run: what applying the policy now would delete";
    post "/namespaces/{scope}/retention/apply" => namespaces::apply_retention, "retention", "none", 200, "Apply the policy now, then collect garbage";
    get "/namespaces/{scope}/usage" => namespaces::get_storage_usage, "quotas", "none", 200, "A namespace's storage use and quota";
    put "/namespaces/{scope}/quota" => namespaces::set_quota, "quotas", "json", 200, "Set or remove a namespace's storage quota (site admins)";
}

/// The `/api/v1` router (mount it with `nest("/api/v1", …)`).
pub fn router(state: AppState) -> Router {
    let mut merged: Vec<(&'static str, MethodRouter<AppState>)> = Vec::new();
    for (path, mr) in method_routers() {
        match merged.iter_mut().find(|(p, _)| *p == path) {
            Some((_, existing)) => *existing = std::mem::take(existing).merge(mr),
            None => merged.push((path, mr)),
        }
    }
    let mut r = Router::new().route("/openapi.json", get(openapi::get_openapi));
    for (path, mr) in merged {
        r = r.route(path, mr);
    }
    r.fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
}
