//! The search page: full text, facets (ecosystem, kind, category, license, keyword), sort,
//! pagination. Every control is a link or a GET form. A facet may hold several values (a
//! comma-separated list, any of which matches): each value's link adds it to or removes it
//! from the list. Changing the sort submits the form at once (with the page script).

use super::{card, pagination, Card};
use crate::error::{WebError, WebResult};
use crate::fmt::{query, thousands};
use crate::layout::{notice, Page};
use crate::session::Viewer;
use crate::WebState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use maud::{html, Markup};
use std::collections::BTreeMap;
use trove_service::search::{SearchPage, SearchParams};
use trove_service::ErrorKind;

const FACETS: &[(&str, &str)] = &[
    ("ecosystem", "Ecosystem"),
    ("kind", "Kind"),
    ("category", "Category"),
    ("license", "License"),
    ("keyword", "Keyword"),
];

const SORTS: &[(&str, &str)] = &[
    ("relevance", "Relevance"),
    ("downloads", "Downloads"),
    ("recent", "Recently updated"),
    ("name", "Name"),
];

/// The current search as (name, value) pairs, to build links that change one of them.
struct Current {
    pairs: Vec<(&'static str, String)>,
}

impl Current {
    fn from(p: &SearchParams) -> Self {
        let v = |o: &Option<String>| o.as_deref().unwrap_or("").trim().to_string();
        Current {
            pairs: vec![
                ("q", v(&p.q)),
                ("ecosystem", v(&p.ecosystem)),
                ("kind", v(&p.kind)),
                ("category", v(&p.category)),
                ("license", v(&p.license)),
                ("keyword", v(&p.keyword)),
                ("sort", v(&p.sort)),
                ("page", v(&p.page)),
                ("per_page", v(&p.per_page)),
            ],
        }
    }

    /// The values of a facet filter (`npm,cargo`).
    fn values(&self, key: &str) -> Vec<&str> {
        self.get(key)
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The facet's list with `value` added, or removed when it is in it.
    fn toggled(&self, key: &str, value: &str) -> String {
        let mut vs = self.values(key);
        match vs.iter().position(|v| *v == value) {
            Some(i) => {
                vs.remove(i);
            }
            None => vs.push(value),
        }
        vs.join(",")
    }

    fn get(&self, key: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The URL with `key` set to `value` (or removed when empty); changing anything but the
    /// page goes back to page 1.
    fn with(&self, key: &str, value: &str) -> String {
        let pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .map(|(k, v)| {
                if *k == key {
                    (*k, value)
                } else if *k == "page" {
                    (*k, "")
                } else {
                    (*k, v.as_str())
                }
            })
            .collect();
        format!("/search{}", query(&pairs))
    }
}

pub async fn search(State(state): State<WebState>, viewer: Viewer, RawQuery(raw): RawQuery) -> WebResult {
    let params: SearchParams = raw
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let st = Current::from(&params);
    let (result, error) = match state.services.search().search_packages(&viewer.ctx, &params).await {
        Ok(r) => (Some(r), None),
        Err(e) if matches!(e.kind, ErrorKind::BadRequest | ErrorKind::Unprocessable) => (None, Some(e.message)),
        Err(e) => return Err(WebError::from_service(e, viewer.chrome())),
    };
    let q = st.get("q");
    let title = if q.is_empty() {
        "Browse packages".to_string()
    } else {
        format!("Results for “{q}”")
    };
    let body = html! {
        div.page-head {
            h1 { (title) }
            @if let Some(r) = &result {
                p.lede {
                    (thousands(r.total as i64)) @if r.total == 1 { " package" } @else { " packages" }
                }
            }
        }
        form.search-form role="search" action="/search" method="get" data-autosubmit {
            div.field-row {
                div.field.grow {
                    label for="q" { "Search" }
                    input #q type="search" name="q" value=(q) placeholder="Name, keyword or description";
                }
                div.field {
                    label for="sort" { "Sort by" }
                    select #sort name="sort" {
                        @for (value, label) in SORTS {
                            option value=(value) selected[st.get("sort") == *value || (st.get("sort").is_empty() && *value == "relevance")] { (label) }
                        }
                    }
                }
                @for (key, _) in FACETS {
                    @if !st.get(key).is_empty() {
                        input type="hidden" name=(key) value=(st.get(key));
                    }
                }
                div.field.field-button {
                    button.btn.btn-primary type="submit" { "Search" }
                }
            }
        }
        @if let Some(msg) = &error {
            (notice("error", msg))
        }
        (active_filters(&st))
        @if let Some(r) = &result {
            @if !r.results.is_empty() { a.filters-link href="#filters" { "Filters" } }
            div.search-layout {
                aside #filters .facets aria-label="Filters" {
                    @for (key, label) in FACETS {
                        (facet(&st, key, label, facet_values(r, key)))
                    }
                }
                section.results aria-label="Results" {
                    @if r.results.is_empty() {
                        div.card.empty-state {
                            h2 { "No packages found" }
                            p { "Try fewer words, another spelling, or remove a filter." }
                        }
                    } @else {
                        ul.pkg-list { @for p in &r.results { (card(Card::from(p), None)) } }
                        (pagination(r.page, r.total.div_ceil(r.per_page.max(1)), |n| st.with("page", &n.to_string())))
                    }
                }
            }
        }
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(Page::new(viewer.chrome(), title, body).status(status).into_response())
}

fn facet_values<'a>(r: &'a SearchPage, key: &str) -> &'a BTreeMap<String, u32> {
    match key {
        "ecosystem" => &r.facets.ecosystem,
        "kind" => &r.facets.kind,
        "category" => &r.facets.category,
        "license" => &r.facets.license,
        _ => &r.facets.keyword,
    }
}

fn facet(st: &Current, key: &str, label: &str, values: &BTreeMap<String, u32>) -> Markup {
    let chosen = st.values(key);
    let active = st.get(key);
    let mut sorted: Vec<(&String, &u32)> = values.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    html! {
        @if !sorted.is_empty() || !active.is_empty() {
            section.facet aria-labelledby={ "facet-" (key) } {
                h2 #{ "facet-" (key) } { (label) }
                ul {
                    @for (value, count) in sorted.iter().take(12) {
                        li {
                            @if chosen.contains(&value.as_str()) {
                                a.facet-value.active href=(st.with(key, &st.toggled(key, value))) aria-current="true"
                                    title={ "Remove the filter " (label) ": " (value) } {
                                    span.facet-label { (label_of(key, value)) } span.count { (count) }
                                }
                            } @else {
                                a.facet-value href=(st.with(key, &st.toggled(key, value)))
                                    title={ "Also show " (label) ": " (value) } {
                                    span.facet-label { (label_of(key, value)) } span.count { (count) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A facet value as shown (ecosystems by their display name).
fn label_of<'a>(key: &str, value: &'a str) -> &'a str {
    if key == "ecosystem" {
        super::ecosystem_label(value)
    } else {
        value
    }
}

fn active_filters(st: &Current) -> Markup {
    let active: Vec<(&str, &str)> = FACETS
        .iter()
        .filter(|(k, _)| !st.get(k).is_empty())
        .map(|(k, label)| (*k, *label))
        .collect();
    html! {
        @if !active.is_empty() {
            ul.active-filters aria-label="Active filters" {
                @for (key, label) in &active {
                    @for value in st.values(key) {
                        li {
                            a.chip.chip-remove href=(st.with(key, &st.toggled(key, value))) {
                                (label) ": " strong { (label_of(key, value)) }
                                span aria-hidden="true" { " ×" }
                                span.sr-only { " (remove)" }
                            }
                        }
                    }
                }
                li { a.clear href={ "/search" (query(&[("q", st.get("q"))])) } { "Clear all" } }
            }
        }
    }
}
