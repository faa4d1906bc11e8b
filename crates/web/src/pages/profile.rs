//! User and organization pages.

use super::{avatar, card_list, Card};
use crate::error::{redirect, WebError, WebResult};
use crate::fmt::time_ago;
use crate::layout::Page;
use crate::session::Viewer;
use crate::WebState;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use maud::html;
use trove_service::web_queries::Profile;

async fn load(state: &WebState, viewer: &Viewer, name: &str) -> Result<Profile, WebError> {
    state
        .services
        .pages()
        .profile(&viewer.ctx, name)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))
}

pub async fn user(State(state): State<WebState>, viewer: Viewer, Path(name): Path<String>) -> WebResult {
    let p = load(&state, &viewer, &name).await?;
    if p.is_org {
        return Ok(redirect(&format!("/orgs/{}", p.name)));
    }
    let own = viewer.user().is_some_and(|u| u.username == p.name);
    let body = html! {
        header.profile-head {
            (avatar(&p.name, "lg"))
            div {
                h1 { (p.name) }
                p.lede {
                    "Joined " (time_ago(&p.created_at))
                    @if p.admin { " · " span.badge.badge-ok { "site admin" } }
                }
            }
            @if own { a.btn href="/dashboard" { "Your dashboard" } }
        }
        div.profile-layout {
            section aria-labelledby="pkgs-title" {
                h2 #pkgs-title { "Packages " span.count { (p.packages.len()) } }
                (card_list(p.packages.iter().map(Card::from), "No packages yet."))
            }
            aside aria-labelledby="orgs-title" {
                section.card {
                    h2 #orgs-title { "Organizations" }
                    @if p.orgs.is_empty() {
                        p.empty { "Not a member of any organization." }
                    } @else {
                        ul.people {
                            @for (org, role) in &p.orgs {
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
    Ok(Page::new(viewer.chrome(), p.name.clone(), body).into_response())
}

pub async fn org(State(state): State<WebState>, viewer: Viewer, Path(name): Path<String>) -> WebResult {
    let p = load(&state, &viewer, &name).await?;
    if !p.is_org {
        return Ok(redirect(&format!("/users/{}", p.name)));
    }
    let my_role = viewer
        .user()
        .and_then(|u| p.members.iter().find(|m| m.username == u.username))
        .map(|m| m.role.clone());
    let body = html! {
        header.profile-head {
            (avatar(&p.name, "lg"))
            div {
                h1 { (p.name) }
                p.lede {
                    @if let Some(d) = &p.description { (d) " · " }
                    "Organization since " (time_ago(&p.created_at))
                }
            }
            @if my_role.as_deref().is_some_and(|r| r == "owner" || r == "admin") || viewer.user().is_some_and(|u| u.admin()) {
                a.btn href={ "/dashboard/orgs/" (p.name) } { "Manage" }
            }
        }
        div.profile-layout {
            section aria-labelledby="pkgs-title" {
                h2 #pkgs-title { "Packages " span.count { (p.packages.len()) } }
                (card_list(p.packages.iter().map(Card::from), "No packages yet."))
            }
            aside {
                section.card aria-labelledby="members-title" {
                    h2 #members-title { "Members " span.count { (p.members.len()) } }
                    ul.people {
                        @for m in &p.members {
                            li {
                                (avatar(&m.username, "sm"))
                                a href={ "/users/" (m.username) } { (m.username) }
                                span.badge { (m.role) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new(viewer.chrome(), p.name.clone(), body).into_response())
}
