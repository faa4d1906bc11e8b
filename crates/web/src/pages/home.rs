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
                "with search, download statistics and immutable version numbers."
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
                p.section-note { "Ranked by growth: downloads in the last 7 days against the 7 days before" }
                @if explore.trending.is_empty() {
                    p.empty { "Nothing is trending yet." }
                } @else {
                    ul.pkg-list.compact {
                        @for tp in &explore.trending {
                            (card(Card::from(&tp.package), Some(html! {
                                span.trend {
                                    (trend_label(tp.downloads_last_7_days, tp.downloads_previous_7_days))
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
        .own_search()
        .description("Trove: a self-hosted universal package registry")
        .into_response())
}

/// What a trending card says: the growth the list is ranked by, then the week's downloads.
fn trend_label(last_7_days: i64, previous_7_days: i64) -> String {
    let week = compact(last_7_days);
    if previous_7_days <= 0 {
        return format!("new: {week} downloads this week");
    }
    let pct = (last_7_days - previous_7_days) * 100 / previous_7_days;
    format!("+{pct}% week over week ({week} downloads)")
}

#[cfg(test)]
mod tests {
    use super::trend_label;

    #[test]
    fn trending_says_what_it_is_ranked_by() {
        assert_eq!(trend_label(30, 10), "+200% week over week (30 downloads)");
        assert_eq!(trend_label(5, 0), "new: 5 downloads this week");
        assert_eq!(trend_label(11, 10), "+10% week over week (11 downloads)");
    }
}
