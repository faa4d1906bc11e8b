//! One module per page or group of pages, and the pieces they share.

pub mod admin;
pub mod advisories;
pub mod auth;
pub mod dashboard;
pub mod device;
pub mod diff;
pub mod files;
pub mod home;
pub mod manage;
pub mod oci_image;
pub mod orgs;
pub mod package;
pub mod profile;
pub mod pypi_files;
pub mod scan;
pub mod search;
pub mod settings;
pub mod tokens;
pub mod webhooks;

use crate::fmt::{compact, time_ago};
use maud::{html, Markup};
use trove_service::search::PackageSummary;
use trove_service::views::PackageView;

/// The page of a package.
pub fn package_url(scope: &str, name: &str) -> String {
    format!("/packages/{scope}/{name}")
}

/// A version as a card prints it: `v1.2.0` for a version number, as stored for OCI tags
/// (`latest`) and for versions that already carry a `v` (`v1.0.0`, never `vv1.0.0`).
pub fn version_label(ecosystem: &str, version: &str) -> String {
    let numeric = version.starts_with(|c: char| c.is_ascii_digit());
    if ecosystem == "oci" || !numeric {
        version.to_string()
    } else {
        format!("v{version}")
    }
}

/// What a package card shows.
pub struct Card<'a> {
    pub scope: &'a str,
    pub name: &'a str,
    pub ecosystem: &'a str,
    pub kind: &'a str,
    pub description: Option<&'a str>,
    pub version: Option<&'a str>,
    pub downloads: i64,
    pub updated_at: &'a str,
    pub keywords: &'a [String],
    pub private: bool,
}

impl<'a> From<&'a PackageSummary> for Card<'a> {
    fn from(p: &'a PackageSummary) -> Self {
        Card {
            scope: &p.scope,
            name: &p.name,
            ecosystem: &p.ecosystem,
            kind: &p.kind,
            description: p.description.as_deref(),
            version: p.latest_version.as_deref(),
            downloads: p.downloads,
            updated_at: &p.updated_at,
            keywords: &p.keywords,
            private: false,
        }
    }
}

impl<'a> From<&'a PackageView> for Card<'a> {
    fn from(p: &'a PackageView) -> Self {
        Card {
            scope: &p.scope,
            name: &p.name,
            ecosystem: p.ecosystem.as_str(),
            kind: p.kind.as_str(),
            description: p.description.as_deref(),
            version: p.latest_version.as_deref(),
            downloads: p.downloads,
            updated_at: &p.updated_at,
            keywords: &p.keywords,
            private: p.visibility == "private",
        }
    }
}

/// A package in a list: name, version, description, badges, downloads, last update.
pub fn card(c: Card<'_>, extra: Option<Markup>) -> Markup {
    html! {
        li.pkg-card {
            div.pkg-card-head {
                h3.pkg-name {
                    a href=(package_url(c.scope, c.name)) {
                        span.scope { (c.scope) "/" } (c.name)
                    }
                }
                @if let Some(v) = c.version { span.version { (version_label(c.ecosystem, v)) } }
                @if c.private { span.badge.badge-private { "private" } }
            }
            @if let Some(d) = c.description { p.pkg-desc { (d) } }
            div.pkg-meta {
                (ecosystem_badge(c.ecosystem))
                span.badge { (c.kind) }
                span.meta-item title="Total downloads" {
                    (DOWNLOAD_ICON) span.sr-only { "Downloads: " } (compact(c.downloads))
                }
                span.meta-item { "Updated " (time_ago(c.updated_at)) }
                @for k in c.keywords.iter().take(4) {
                    a.chip href={ "/search?keyword=" (crate::fmt::encode(k)) } { "#" (k) }
                }
                @if let Some(x) = extra { (x) }
            }
        }
    }
}

/// A list of package cards, or a friendly line when it is empty.
pub fn card_list<'a>(cards: impl IntoIterator<Item = Card<'a>>, empty: &str) -> Markup {
    let items: Vec<Markup> = cards.into_iter().map(|c| card(c, None)).collect();
    html! {
        @if items.is_empty() {
            p.empty { (empty) }
        } @else {
            ul.pkg-list { @for i in items { (i) } }
        }
    }
}

/// How an ecosystem is named on pages (`native` packages are Trove's own).
pub fn ecosystem_label(e: &str) -> &str {
    match e {
        "native" => "trove",
        "oci" => "OCI",
        other => other,
    }
}

/// The ecosystem badge.
pub fn ecosystem_badge(e: &str) -> Markup {
    html! { span class={ "badge eco eco-" (e) } { (ecosystem_label(e)) } }
}

pub const DOWNLOAD_ICON: maud::PreEscaped<&str> = maud::PreEscaped(
    r#"<svg class="icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false"><path d="M8 2v8m0 0 3.2-3.2M8 10 4.8 6.8M3 13h10" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round"/></svg>"#,
);

/// Page links: previous, numbers around the current page, next. `href(n)` builds a URL.
pub fn pagination(page: usize, pages: usize, href: impl Fn(usize) -> String) -> Markup {
    if pages <= 1 {
        return html! {};
    }
    let from = page.saturating_sub(2).max(1);
    let to = (page + 2).min(pages);
    html! {
        nav.pagination aria-label="Pages" {
            @if page > 1 {
                a rel="prev" href=(href(page - 1)) { "← Previous" }
            }
            @if from > 1 {
                a href=(href(1)) { "1" }
                @if from > 2 { span.gap { "…" } }
            }
            @for n in from..=to {
                @if n == page {
                    span.current aria-current="page" { (n) }
                } @else {
                    a href=(href(n)) { (n) }
                }
            }
            @if to < pages {
                @if to < pages - 1 { span.gap { "…" } }
                a href=(href(pages)) { (pages) }
            }
            @if page < pages {
                a rel="next" href=(href(page + 1)) { "Next →" }
            }
        }
    }
}

/// A round avatar with the name's first letter, coloured from the name.
pub fn avatar(name: &str, size: &str) -> Markup {
    let hue = name
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32))
        % 360;
    let letter = name.chars().next().unwrap_or('?').to_ascii_uppercase();
    html! {
        span class={ "avatar avatar-" (size) " hue-" (hue / 30) } aria-hidden="true" { (letter) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_print_one_v_at_most() {
        assert_eq!(version_label("native", "1.2.0"), "v1.2.0");
        assert_eq!(version_label("npm", "v1.0.0"), "v1.0.0");
        assert_eq!(version_label("oci", "latest"), "latest");
        assert_eq!(version_label("oci", "1.0"), "1.0");
        assert_eq!(version_label("oci", "v1.0.0"), "v1.0.0");
    }
}
