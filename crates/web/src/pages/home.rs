//! The home page: totals, trending, most downloaded, recently updated, categories.

use super::{card, card_list, Card};
use crate::error::{WebError, WebResult};
use crate::fmt::{compact, thousands};
use crate::layout::Page;
use crate::session::Viewer;
use crate::WebState;
use axum::extract::State;
use axum::response::IntoResponse;
use maud::html;

pub async fn home(State(state): State<WebState>, viewer: Viewer) -> WebResult {
    let svc = &state.services;
    let explore = svc
        .stats()
        .explore()
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let categories = svc.search().list_categories();
    let t = explore.totals;
    let body = html! {
        section.hero aria-labelledby="hero-title" {
            h1 #hero-title { "Every package your team ships, in one place." }
            p.lede {
                "Trove stores, serves and secures libraries, models, agents, templates and container images — "
                "with search, download statistics and signed, immutable releases."
            }
            form.hero-search role="search" action="/search" method="get" {
                label.sr-only for="hero-q" { "Search packages" }
                input #hero-q type="search" name="q" placeholder="Search by name, keyword or description";
                button.btn.btn-primary type="submit" { "Search" }
            }
            dl.totals {
                div { dt { "Packages" } dd title=(thousands(t.packages)) { (compact(t.packages)) } }
                div { dt { "Versions" } dd title=(thousands(t.versions)) { (compact(t.versions)) } }
                div { dt { "Downloads" } dd title=(thousands(t.downloads)) { (compact(t.downloads)) } }
                div { dt { "Users" } dd title=(thousands(t.users)) { (compact(t.users)) } }
            }
        }
        @if t.packages == 0 {
            section.card.empty-state {
                h2 { "No packages yet" }
                p {
                    "Be the first to publish: "
                    a href="/register" { "create an account" }
                    ", make an API token in your dashboard, then run "
                    code { "trove publish" }
                    " in a folder with a " code { "trove.toml" } "."
                }
            }
        }
        div.columns-3 {
            section.column aria-labelledby="trending-title" {
                h2 #trending-title { "Trending" }
                p.section-note { "Fastest growing downloads this week" }
                @if explore.trending.is_empty() {
                    p.empty { "Nothing is trending yet." }
                } @else {
                    ul.pkg-list.compact {
                        @for tp in &explore.trending {
                            (card(Card::from(&tp.package), Some(html! {
                                span.trend title="Downloads in the last 7 days" {
                                    "+" (compact(tp.downloads_last_7_days)) " this week"
                                }
                            })))
                        }
                    }
                }
            }
            section.column aria-labelledby="popular-title" {
                h2 #popular-title { "Most downloaded" }
                p.section-note { "All-time favourites" }
                div.compact-wrap {
                    (card_list(explore.most_downloaded.iter().map(Card::from), "No downloads yet."))
                }
            }
            section.column aria-labelledby="recent-title" {
                h2 #recent-title { "Recently updated" }
                p.section-note { "Fresh releases" }
                div.compact-wrap {
                    (card_list(explore.recently_updated.iter().map(Card::from), "Nothing published yet."))
                }
            }
        }
        section aria-labelledby="categories-title" {
            h2 #categories-title { "Categories" }
            ul.category-grid {
                @for c in &categories {
                    li {
                        a.category href={ "/search?category=" (c.slug) } {
                            span.category-name { (c.name) }
                            span.category-count {
                                (c.packages) @if c.packages == 1 { " package" } @else { " packages" }
                            }
                            span.category-desc { (c.description) }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new(viewer.chrome(), "Home", body)
        .description("Trove: a self-hosted universal package registry")
        .into_response())
}
