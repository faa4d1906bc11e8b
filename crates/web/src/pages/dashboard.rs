//! The dashboard's overview: my packages and organizations, and how to publish.

use super::{avatar, package_url};
use crate::error::{WebError, WebResult};
use crate::fmt::{compact, time_ago};
use crate::layout::{dashboard_tabs, notice, Page};
use crate::session::Viewer;
use crate::WebState;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use maud::html;
use trove_service::quotas::human_bytes;

pub async fn overview(
    State(state): State<WebState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> WebResult {
    let user = viewer.require_user()?;
    let svc = &state.services;
    let chrome = || viewer.chrome();
    let packages = svc
        .pages()
        .my_packages(&viewer.ctx)
        .await
        .map_err(|e| WebError::from_service(e, chrome()))?;
    let orgs = svc
        .orgs()
        .orgs_of(user.id)
        .await
        .map_err(|e| WebError::from_service(e, chrome()))?;
    // The storage my namespace uses (and its quota, when one is set).
    let usage = svc.quotas().storage_usage(&viewer.ctx, &user.username).await.ok();
    let welcome = raw.as_deref().is_some_and(|q| q.contains("welcome=1"));
    let host = crate::fmt::host_of(&state.origin.of(&headers)).to_string();
    let body = html! {
        div.page-head.with-avatar {
            (avatar(&user.username, "lg"))
            div {
                h1 { "Dashboard" }
                p.lede {
                    "Signed in as " a href={ "/users/" (user.username) } { strong { (user.username) } }
                    @if let Some(u) = &usage {
                        " · " span #storage-usage {
                            "Storage: " (human_bytes(u.used_bytes.max(0) as u64))
                            @if let Some(q) = u.quota_bytes { " of " (human_bytes(q.max(0) as u64)) " quota" }
                        }
                    }
                }
            }
        }
        (dashboard_tabs("overview", user.admin()))
        @if welcome {
            (notice("ok", &format!("Welcome to Trove, {}! Your namespace `{}` is ready.", user.username, user.username)))
        }
        div.dash-layout {
            section.card aria-labelledby="my-pkgs" {
                div.section-head {
                    h2 #my-pkgs { "My packages " span.count { (packages.len()) } }
                }
                @if packages.is_empty() {
                    div.empty-state {
                        p { "You have not published anything yet." }
                    }
                } @else {
                    div.table-wrap {
                        table.table {
                            thead {
                                tr {
                                    th scope="col" { "Package" }
                                    th scope="col" { "Latest" }
                                    th scope="col" { "Downloads" }
                                    th scope="col" { "Updated" }
                                }
                            }
                            tbody {
                                @for p in &packages {
                                    tr {
                                        th scope="row" {
                                            a href=(package_url(&p.scope, &p.name)) { (p.full_name) }
                                            " " (super::ecosystem_badge(p.ecosystem.as_str()))
                                            @if p.visibility == "private" { " " span.badge.badge-private { "private" } }
                                        }
                                        td { (p.latest_version.as_deref().unwrap_or("—")) }
                                        td.num { (compact(p.downloads)) }
                                        td { (time_ago(&p.updated_at)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            aside {
                section.card aria-labelledby="publish-title" {
                    h2 #publish-title { "Publish a package" }
                    ol.steps {
                        li { "Sign in the CLI: " code { "trove login" } " (approve it on the " a href="/device" { "device page" } "), or create an " a href="/dashboard/tokens" { "API token" } "." }
                        li { "Describe your package in " code { "trove.toml" } " (name " code { (user.username) "/…" } ")." }
                        li { "Run " code { "trove publish" } "." }
                    }
                    p.hint { "Container images: " code { "docker push " (host) "/" (user.username) "/app:1.0" } }
                }
                section.card aria-labelledby="orgs-title" {
                    div.section-head {
                        h2 #orgs-title { "Organizations" }
                        a.small href="/dashboard/orgs" { "Manage" }
                    }
                    @if orgs.is_empty() {
                        p.empty { "You are not in any organization. " a href="/dashboard/orgs" { "Create one" } "." }
                    } @else {
                        ul.people {
                            @for (org, role) in &orgs {
                                li {
                                    (avatar(org, "sm"))
                                    a href={ "/orgs/" (org) } { (org) }
                                    span.badge { (role) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new(viewer.chrome(), "Dashboard", body).into_response())
}
