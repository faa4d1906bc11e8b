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
use trove_service::search::{PackageSummary, SearchPage, SearchParams};
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
                        (facet(&st, key, label, facet_values(r, key), !r.facets_exact))
                    }
                }
                section.results aria-label="Results" {
                    @if r.results.is_empty() {
                        div.card.empty-state {
                            h2 { "No packages found" }
                            p { "Try fewer words, another spelling, or remove a filter." }
                        }
                    } @else {
                        ul.pkg-list {
                            @for p in &r.results {
                                (card(Card::from(p), typo_note(&close_spellings(q, p))))
                            }
                        }
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
    let description = format!("Search Trove's packages: {title}");
    Ok(Page::new(viewer.chrome(), title, body)
        .own_search()
        .description(description)
        .status(status)
        .into_response())
}

/// Typos the index tolerates in a word of `chars` characters (as `trove_search` does: none
/// up to 4 characters, one up to 8, two beyond).
fn max_typos(chars: usize) -> usize {
    match chars {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Lower-cased words of a text.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// The query words a result matched by a close spelling, each with the word of its name,
/// description or keywords it is close to: the index tolerates typos without saying which
/// results needed one, so a query word missing from what the card shows (not even as the
/// start of a word) while a word within the typo budget is there marks the result. A word
/// found only in the README is not marked.
fn close_spellings(q: &str, p: &PackageSummary) -> Vec<(String, String)> {
    let mut shown: Vec<String> = words(&p.scope).chain(words(&p.name)).collect();
    shown.extend(p.description.as_deref().map(words).into_iter().flatten());
    shown.extend(p.keywords.iter().flat_map(|k| words(k)));
    let mut out: Vec<(String, String)> = Vec::new();
    for w in words(q) {
        let budget = max_typos(w.chars().count());
        if budget == 0 || shown.iter().any(|s| s.starts_with(&w)) || out.iter().any(|(x, _)| *x == w) {
            continue;
        }
        let close = shown
            .iter()
            .map(|s| (strsim::osa_distance(&w, s), s))
            .filter(|(d, _)| *d <= budget)
            .min_by_key(|(d, _)| *d);
        if let Some((_, s)) = close {
            out.push((w, s.clone()));
        }
    }
    out
}

/// The line a result matched by a close spelling carries.
fn typo_note(close: &[(String, String)]) -> Option<Markup> {
    (!close.is_empty()).then(|| {
        html! {
            span.typo-note {
                "Close match: "
                @for (i, (typed, found)) in close.iter().enumerate() {
                    @if i > 0 { ", " }
                    strong { (found) } " for “" (typed) "”"
                }
            }
        }
    })
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

/// `estimated`: the counts come from a sample of the results (very broad searches).
fn facet(st: &Current, key: &str, label: &str, values: &BTreeMap<String, u32>, estimated: bool) -> Markup {
    let about = if estimated { "≈" } else { "" };
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
                                    span.facet-label { (label_of(key, value)) } span.count { (about) (count) }
                                }
                            } @else {
                                a.facet-value href=(st.with(key, &st.toggled(key, value)))
                                    title={ "Also show " (label) ": " (value) } {
                                    span.facet-label { (label_of(key, value)) } span.count { (about) (count) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A facet value as shown (ecosystems and categories by their display names).
fn label_of<'a>(key: &str, value: &'a str) -> &'a str {
    match key {
        "ecosystem" => super::ecosystem_label(value),
        "category" => trove_core::categories::CATEGORIES
            .iter()
            .find(|c| c.slug == value)
            .map_or(value, |c| c.name),
        _ => value,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str, description: &str, keywords: &[&str]) -> PackageSummary {
        PackageSummary {
            full_name: format!("alice/{name}"),
            scope: "alice".into(),
            name: name.into(),
            ecosystem: "native".into(),
            kind: "library".into(),
            description: Some(description.into()),
            latest_version: Some("1.0.0".into()),
            license: None,
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            categories: Vec::new(),
            downloads: 0,
            updated_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn results_matched_by_a_close_spelling_are_marked() {
        let p = summary("browser-widget", "Renders widgets in the browser", &["ui"]);
        assert_eq!(
            close_spellings("widgte", &p),
            [("widgte".to_string(), "widget".to_string())]
        );
        assert_eq!(
            close_spellings("Browsr widget", &p),
            [("browsr".to_string(), "browser".to_string())]
        );
        // Exact words and prefixes (`wid`, `render`) are no typo; short words get no budget.
        assert!(close_spellings("widget render", &p).is_empty());
        assert!(close_spellings("wdgt ui", &p).is_empty());
        // A word found nowhere on the card (a README match) is not marked.
        assert!(close_spellings("database", &p).is_empty());
        let html = typo_note(&close_spellings("widgte", &p)).unwrap().into_string();
        assert!(html.contains("<strong>widget</strong> for “widgte”"), "{html}");
        assert!(typo_note(&[]).is_none());
    }
}
