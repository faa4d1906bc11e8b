//! The package page: README, install snippet, versions, dependencies and dependents,
//! download chart, digests, owners, and the advisories banner.

use super::{ecosystem_badge, package_url, DOWNLOAD_ICON};
use crate::chart::downloads_chart;
use crate::error::{WebError, WebResult};
use crate::fmt::{bytes, compact, date_time, encode, host_of, short_digest, thousands, time_ago};
use crate::layout::Page;
use crate::markdown;
use crate::session::Viewer;
use crate::WebState;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use maud::{html, Markup, PreEscaped};
use trove_service::views::{PackageView, VersionView};
use trove_service::web_queries::PackagePage;

/// A security advisory shown above a package (filled by [`super::advisories::notices`]).
#[derive(Debug, Clone)]
pub struct AdvisoryNotice {
    pub id: String,
    pub severity: String,
    pub summary: String,
    pub affected: String,
}

fn advisories_banner(list: &[AdvisoryNotice]) -> Markup {
    html! {
        @if !list.is_empty() {
            section.notice.notice-error.advisories role="alert" aria-labelledby="advisories-title" {
                h2 #advisories-title {
                    (list.len()) @if list.len() == 1 { " security advisory" } @else { " security advisories" }
                }
                ul {
                    @for a in list {
                        li {
                            strong { a href={ "/advisories/" (crate::fmt::encode(&a.id)) } { (a.id) } } " (" (a.severity) "): " (a.summary)
                            " — affects " code { (a.affected) }
                        }
                    }
                }
            }
        }
    }
}

pub async fn package(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((scope, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> WebResult {
    let svc = &state.services;
    let name = name.trim_end_matches('/').to_string();
    if let Some(base) = name.strip_suffix("/-/manage") {
        return super::manage::show(&state, &viewer, &scope, base, raw.as_deref()).await;
    }
    // A version's files, raw members and diffs live under `/-/`.
    if let Some((base, rest)) = name.split_once("/-/") {
        let (what, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let q = raw.as_deref();
        return match (what, tail) {
            ("files", "") => super::files::pick(&viewer, &scope, base, q).await,
            ("files", tail) => super::files::show(&state, &viewer, &scope, base, tail, q).await,
            ("raw", tail) => super::files::raw(&state, &viewer, &scope, base, tail, q).await,
            ("diff", "") => super::diff::pick(&viewer, &scope, base, q).await,
            ("diff", tail) => super::diff::show(&state, &viewer, &scope, base, tail).await,
            _ => Err(WebError::not_found(viewer.chrome())),
        };
    }
    let page = svc
        .pages()
        .package_page(&viewer.ctx, &scope, &name)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let pairs: Vec<(String, String)> = raw
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let wanted: Option<String> = pairs.iter().find(|(k, _)| k == "version").map(|(_, v)| v.clone());
    // The confirmation of a tag deleted from this page.
    let deleted = pairs.iter().find(|(k, _)| k == "deleted").map(|(_, v)| v.as_str());
    let pkg = &page.package;
    let selected: Option<&VersionView> = match &wanted {
        Some(v) => Some(
            page.versions
                .iter()
                .find(|x| &x.version == v)
                .ok_or_else(|| WebError::not_found(viewer.chrome()))?,
        ),
        None => pkg
            .latest_version
            .as_ref()
            .and_then(|l| page.versions.iter().find(|x| &x.version == l))
            .or_else(|| page.versions.first()),
    };
    let oci = pkg.ecosystem == "oci";
    // The management link, for those the service lets manage the package.
    let perms = match viewer.user() {
        Some(_) => svc
            .pages()
            .package_permissions(&viewer.ctx, &pkg.scope, &pkg.name)
            .await
            .unwrap_or_default(),
        None => Default::default(),
    };
    let manageable = super::manage::can_manage(&perms, pkg.ecosystem.as_str());
    // An OCI tag's image: platforms, layers, labels, referrers; its deletion form.
    let image = match selected.filter(|_| oci) {
        Some(v) => {
            let d = svc
                .oci()
                .image_details(&viewer.ctx, &pkg.scope, &pkg.name, &v.version)
                .await
                .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
            let manage = super::manage::manage_url(&pkg.scope, &pkg.name);
            let form = viewer.csrf().filter(|_| perms.versions).map(|c| (manage.as_str(), c));
            Some(super::oci_image::section(&d, form))
        }
        None => None,
    };
    let advisories = super::advisories::notices(&state, &viewer, pkg, selected.map(|v| v.version.as_str())).await;
    // The selected version's own README; the package's (its latest version's) when that
    // version has none.
    let own = selected.and_then(|v| page.readmes.get(&v.version));
    // Relative links and images point into the files of the version the README is of.
    let readme_version = match own {
        Some(_) => selected,
        None => pkg
            .latest_version
            .as_ref()
            .and_then(|l| page.versions.iter().find(|x| &x.version == l)),
    };
    let readme = own
        .map(String::as_str)
        .or(pkg.readme.as_deref())
        .filter(|r| !r.trim().is_empty())
        .map(|md| match readme_version.filter(|_| !oci) {
            Some(v) => markdown::render_for(
                md,
                super::files::readme_links(&pkg.scope, &pkg.name, &v.version, &readme_dir(v)),
            ),
            None => markdown::render(md),
        });
    let readme_of_other = selected
        .map(|v| v.version.as_str())
        .filter(|v| own.is_none() && readme.is_some() && pkg.latest_version.as_deref().is_some_and(|l| l != *v))
        .and(pkg.latest_version.as_deref());
    // The registry's URL as this request reaches it, as in the protocols' own answers.
    let base = state.origin.of(&headers);
    let title = match selected {
        Some(v) => format!("{} {}", pkg.full_name, v.version),
        None => pkg.full_name.clone(),
    };

    let body = html! {
        @if let Some(t) = deleted { (crate::layout::notice("ok", &format!("Tag {t} deleted."))) }
        (advisories_banner(&advisories))
        @if let Some(v) = selected { (version_banner(pkg, v)) (super::scan::scan_notice(v)) }
        (package_header(&page, selected, manageable))
        div.pkg-layout {
            (main_column(&page, selected, readme.as_deref(), readme_of_other, oci, image))
            (side_column(&page, selected, &base, svc.config.npm_unscoped_namespace.as_deref(), oci))
        }
    };
    // Every package page describes itself to search engines, with or without a description.
    let what = format!(
        "{} {} on Trove",
        super::ecosystem_label(pkg.ecosystem.as_str()),
        if oci { "image" } else { "package" }
    );
    let description = match (&pkg.description, selected) {
        (Some(d), _) => d.clone(),
        (None, Some(v)) => format!("{} {}: {what}", pkg.full_name, v.version),
        (None, None) => format!("{}: {what}", pkg.full_name),
    };
    Ok(Page::new(viewer.chrome(), title, body)
        .description(description)
        .into_response())
}

/// The README's directory inside a native archive whose manifest names it (`docs/` for
/// `readme = "docs/README.md"`), else the root.
fn readme_dir(v: &VersionView) -> String {
    v.manifest
        .pointer("/package/readme")
        .and_then(|r| r.as_str())
        .and_then(|r| r.trim_start_matches("./").rsplit_once('/'))
        .map(|(dir, _)| format!("{dir}/"))
        .unwrap_or_default()
}

/// What a reader of one version must know first: it is yanked, deprecated (with the
/// message), a pre-release, or simply not the latest.
fn version_banner(pkg: &PackageView, v: &VersionView) -> Markup {
    let url = package_url(&pkg.scope, &pkg.name);
    let latest = pkg.latest_version.as_deref().filter(|l| *l != v.version);
    let oci = pkg.ecosystem == "oci";
    html! {
        @if v.yanked {
            div.notice.notice-error.version-banner role="alert" {
                strong { "Version " (v.version) " has been yanked." }
                " Resolvers skip it; lock files that pin it still download it."
                @if let Some(reason) = v.yank_reason.as_deref().filter(|r| !r.is_empty()) {
                    " Reason: " span.yank-reason { (reason) }
                }
            }
        }
        @if let Some(msg) = &v.deprecated {
            div.notice.notice-warn.version-banner role="status" {
                strong { "Version " (v.version) " is deprecated: " }
                span.deprecation-message { (msg) }
            }
        }
        @if !oci && is_prerelease(pkg.ecosystem.as_str(), &v.version) {
            div.notice.notice-info role="status" {
                "Version " (v.version) " is a pre-release."
            }
        }
        @if let (Some(l), false) = (latest, oci) {
            div.notice.notice-info.not-latest role="status" {
                "You are viewing " (v.version) ", which is not the latest version. "
                a href=(url) { "See the latest, " (l) }
            }
        }
    }
}

/// Whether a version is a pre-release in its ecosystem's scheme (semver's `-…`, PEP 440's
/// `a`, `b`, `rc`, `dev`).
fn is_prerelease(ecosystem: &str, version: &str) -> bool {
    match ecosystem {
        "oci" => false,
        "pypi" => {
            let v = version.to_ascii_lowercase();
            let bytes = v.as_bytes();
            ["a", "b", "c", "rc", "alpha", "beta", "pre", "preview", "dev"]
                .iter()
                .any(|tag| {
                    v.match_indices(tag).any(|(i, _)| {
                        i > 0 && matches!(bytes[i - 1], b'0'..=b'9' | b'.' | b'-' | b'_') && !v[i..].starts_with("post")
                    })
                })
        }
        _ => semver::Version::parse(version.trim_start_matches('v')).is_ok_and(|v| !v.pre.is_empty()),
    }
}

/// A form that opens another version's page (a plain GET form: works without JavaScript;
/// the page script submits it on change).
fn version_picker(page: &PackagePage, selected: Option<&VersionView>) -> Markup {
    let pkg = &page.package;
    let label = if pkg.ecosystem == "oci" { "Tag" } else { "Version" };
    html! {
        @if page.versions.len() > 1 {
            form.version-picker method="get" action=(package_url(&pkg.scope, &pkg.name)) data-autosubmit {
                label for="version-select" { (label) }
                select #version-select name="version" {
                    @for v in &page.versions {
                        @let is_sel = selected.is_some_and(|s| s.version == v.version);
                        option value=(v.version) selected[is_sel] {
                            (v.version)
                            @if pkg.latest_version.as_deref() == Some(v.version.as_str()) { " (latest)" }
                            @if v.yanked { " (yanked)" }
                            @if v.deprecated.is_some() { " (deprecated)" }
                        }
                    }
                }
                button.btn.btn-small type="submit" { "Show" }
            }
        }
    }
}

/// Title, badges, description and facets of a package.
fn package_header(page: &PackagePage, selected: Option<&VersionView>, manageable: bool) -> Markup {
    let pkg = &page.package;
    html! {
    header.pkg-header {
        div.pkg-title-row {
            h1.pkg-title {
                a.scope href=(profile_url(page)) { (pkg.scope) }
                span.sep aria-hidden="true" { "/" }
                span { (pkg.name) }
            }
            @if let Some(v) = selected { span.version.version-large { (v.version) } }
            (version_picker(page, selected))
            @if pkg.visibility == "private" { span.badge.badge-private { "private" } }
            @if manageable {
                a.btn.btn-small.manage-link href=(super::manage::manage_url(&pkg.scope, &pkg.name)) {
                    (GEAR_ICON) "Manage"
                }
            }
        }
        @if let Some(d) = &pkg.description { p.lede { (d) } }
        div.pkg-meta {
            (ecosystem_badge(pkg.ecosystem.as_str()))
            span.badge { (pkg.kind) }
            @if let Some(l) = &pkg.license {
                a.badge.badge-license href={ "/search?license=" (encode(l)) } { (l) }
            }
            @for c in &pkg.categories {
                a.chip href={ "/search?category=" (encode(c)) } { (c) }
            }
            @for k in &pkg.keywords {
                a.chip href={ "/search?keyword=" (encode(k)) } { "#" (k) }
            }
        }
    }
    }
}

/// Readme, downloads, versions, dependencies and dependents.
fn main_column(
    page: &PackagePage,
    selected: Option<&VersionView>,
    readme: Option<&str>,
    readme_of: Option<&str>,
    oci: bool,
    image: Option<Markup>,
) -> Markup {
    let pkg = &page.package;
    let pypi = pkg.ecosystem == trove_core::Ecosystem::Pypi;
    let versions_label = if oci { "Tags" } else { "Versions" };
    html! {
    div.pkg-main {
        nav.tabs.in-page aria-label="On this page" {
            @if oci && selected.is_some() { a href="#image" { "Image" } }
            a href="#readme" { "Readme" }
            @if page.stats.is_some() { a href="#downloads" { "Downloads" } }
            @if let Some(v) = selected.filter(|_| pypi) {
                a href="#files" { "Files " span.count { (page.files.get(&v.version).map_or(0, Vec::len)) } }
            }
            a href="#versions" { (versions_label) " " span.count { (page.versions.len()) } }
            @if !oci {
                a href="#dependencies" {
                    "Dependencies " span.count { (selected.map(|v| v.dependencies.len()).unwrap_or(0)) }
                }
                a href="#dependents" { "Dependents " span.count { (page.dependents.len()) } }
            }
        }
        @if let Some(i) = image { (i) }
        section #readme .card.readme-card aria-label="Readme" {
            @if let Some(l) = readme_of {
                p.readme-of.section-note { "README of the latest version, " (l) "." }
            }
            @match &readme {
                Some(html) => article.readme { (PreEscaped(html)) },
                None => p.empty { "This package has no README." },
            }
        }
        @if let Some(stats) = &page.stats {
            section #downloads .card aria-labelledby="downloads-title" {
                div.section-head {
                    h2 #downloads-title { "Downloads" }
                    span.section-note { "last 90 days" }
                }
                dl.stat-row {
                    div { dt { "Total" } dd { (thousands(stats.total)) } }
                    div { dt { "Last 7 days" } dd { (thousands(stats.last_7_days)) } }
                    div { dt { "Last 30 days" } dd { (thousands(stats.last_30_days)) } }
                    div { dt { "Last year" } dd { (thousands(stats.last_365_days)) } }
                }
                @let days: Vec<(String, i64)> = stats.daily.iter().map(|d| (d.date.clone(), d.downloads)).collect();
                (downloads_chart(&days))
            }
        }
        @if let Some(v) = selected.filter(|_| pypi) {
            (super::pypi_files::section(pkg, &v.version, page.files.get(&v.version).map_or(&[][..], Vec::as_slice)))
        }
        section #versions .card aria-labelledby="versions-title" {
            h2 #versions-title { (versions_label) }
            (versions_table(pkg, &page.versions, selected, oci))
        }
        @if !oci {
            section #dependencies .card aria-labelledby="deps-title" {
                h2 #deps-title {
                    "Dependencies"
                    @if let Some(v) = selected { span.section-note { " of " (v.version) } }
                }
                @match selected.filter(|v| !v.dependencies.is_empty()) {
                    Some(v) => ul.dep-list {
                        @for (dep, req) in &v.dependencies {
                            li {
                                @match dep.split_once('/') {
                                    Some((s, n)) => a href=(package_url(s, n)) { (dep) },
                                    None => span { (dep) },
                                }
                                code.req { (req) }
                            }
                        }
                    },
                    None => p.empty { "No dependencies." },
                }
            }
            section #dependents .card aria-labelledby="dependents-title" {
                h2 #dependents-title { "Dependents" }
                @if page.dependents.is_empty() {
                    p.empty { "No package depends on this one yet." }
                } @else {
                    ul.dep-list {
                        @for d in &page.dependents {
                            li {
                                a href=(package_url(&d.scope, &d.name)) { (d.full_name) }
                                @if let Some(v) = &d.latest_version { span.version { (v) } }
                                code.req { (d.requirement) }
                                @if let Some(desc) = &d.description { span.dep-desc { (desc) } }
                            }
                        }
                    }
                }
            }
        }
    }
    }
}

/// Install snippets, facts, digest and owners.
fn side_column(
    page: &PackagePage,
    selected: Option<&VersionView>,
    base: &str,
    npm_unscoped: Option<&str>,
    oci: bool,
) -> Markup {
    let pkg = &page.package;
    html! {
    aside.pkg-side aria-label="Package details" {
        section.card.install-card aria-labelledby="install-title" {
            h2 #install-title { "Install" }
            @if let Some(v) = selected.filter(|v| v.yanked) {
                p.notice.notice-error.install-warning {
                    "Yanked: " (v.version) " should not be installed in new projects."
                }
            }
            @for s in install_snippets(pkg, selected, base, npm_unscoped) {
                p.snippet-label { (s.label) }
                pre.snippet.prompt[s.command] tabindex="0" data-copy data-copy-label=(s.label) { code { (s.text) } }
            }
        }
        section.card aria-labelledby="about-title" {
            h2 #about-title { "About" }
            dl.facts {
                @if let Some(v) = selected {
                    dt { @if oci { "Tag" } @else { "Version" } } dd { (v.version) }
                    dt { @if oci { "Pushed" } @else { "Published" } } dd { (time_ago(&v.created_at)) }
                    @if let Some(p) = &v.publisher {
                        dt { @if oci { "Pushed by" } @else { "Publisher" } }
                        dd { a href={ "/users/" (p) } { (p) } }
                    }
                    // An image's size is in its section (a manifest's own size says little).
                    @if !oci { dt { "Size" } dd { (bytes(v.size)) } }
                }
                @if let Some(l) = &pkg.license { dt { "License" } dd { (l) } }
                @if !oci {
                    dt { "Downloads" } dd { (DOWNLOAD_ICON) " " (thousands(pkg.downloads)) }
                }
                dt { "Created" } dd { (time_ago(&pkg.created_at)) }
                @if let Some(h) = &pkg.homepage { dt { "Homepage" } dd { (link(h)) } }
                @if let Some(r) = &pkg.repository { dt { "Repository" } dd { (link(r)) } }
            }
        }
        @if let Some(v) = selected {
            section.card aria-labelledby="digest-title" {
                h2 #digest-title { "Digest" }
                div.digest { code.digest-value tabindex="0" data-copy data-copy-label="digest" { (v.digest) } }
                @if !oci {
                    // A PyPI release's files are each downloaded from its Files section.
                    @if pkg.ecosystem != trove_core::Ecosystem::Pypi {
                        a.btn.btn-block href=(v.download_url) download { "Download " (v.version) " (.tar.gz)" }
                    }
                    a.btn.btn-block.files-link href=(super::files::files_url(&pkg.scope, &pkg.name, &v.version, "")) {
                        "Browse files"
                    }
                    @if let Some(prev) = page.versions.iter().skip_while(|x| x.version != v.version).nth(1) {
                        a.btn.btn-block.diff-link href=(super::diff::diff_url(&pkg.scope, &pkg.name, &prev.version, &v.version)) {
                            "Changes since " (prev.version)
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="owners-title" {
            h2 #owners-title { "Owners" }
            @if page.owners.is_empty() {
                p.empty { "Managed by the " a href=(profile_url(page)) { (pkg.scope) } " namespace." }
            } @else {
                ul.people {
                    @for o in &page.owners {
                        li {
                            (super::avatar(&o.username, "sm"))
                            a href={ "/users/" (o.username) } { (o.username) }
                            @if o.role != "owner" { span.badge { (o.role) } }
                        }
                    }
                }
            }
        }
    }
    }
}

const GEAR_ICON: PreEscaped<&str> = PreEscaped(
    r#"<svg class="icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false"><circle cx="8" cy="8" r="2.2" fill="none" stroke="currentColor" stroke-width="1.6"/><path d="M8 1.5v2M8 12.5v2M1.5 8h2M12.5 8h2M3.4 3.4l1.4 1.4M11.2 11.2l1.4 1.4M3.4 12.6l1.4-1.4M11.2 4.8l1.4-1.4" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/></svg>"#,
);

fn profile_url(page: &PackagePage) -> String {
    if page.namespace_is_org {
        format!("/orgs/{}", page.package.scope)
    } else {
        format!("/users/{}", page.package.scope)
    }
}

/// An external link when the URL is http(s), plain text otherwise.
fn link(url: &str) -> Markup {
    let lower = url.to_ascii_lowercase();
    let shown = url.trim_start_matches("https://").trim_start_matches("http://");
    html! {
        @if lower.starts_with("https://") || lower.starts_with("http://") {
            a.ext href=(url) rel="nofollow noopener noreferrer" { (shown) }
        } @else {
            span { (url) }
        }
    }
}

/// One install step: what it is, the text to type or paste, and whether it is a shell
/// command (shown with a `$` prompt) or a configuration line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snippet {
    pub label: String,
    pub text: String,
    pub command: bool,
}

fn cmd(label: &str, text: String) -> Snippet {
    Snippet {
        label: label.to_string(),
        text,
        command: true,
    }
}

fn config(label: &str, text: String) -> Snippet {
    Snippet {
        label: label.to_string(),
        text,
        command: false,
    }
}

/// The commands that install this package with its ecosystem's client. A version other
/// than the latest is named in the commands; the latest is installed by name alone. npm
/// packages of the namespace owning unscoped names (`npm_unscoped`) go by their bare names.
fn install_snippets(
    pkg: &PackageView,
    selected: Option<&VersionView>,
    base_url: &str,
    npm_unscoped: Option<&str>,
) -> Vec<Snippet> {
    let base = base_url.trim_end_matches('/');
    let host = host_of(base);
    let (scope, name, full) = (&pkg.scope, &pkg.name, &pkg.full_name);
    let version = selected.map(|v| v.version.as_str());
    let pinned = version.filter(|v| pkg.latest_version.as_deref() != Some(*v));
    match pkg.ecosystem.as_str() {
        "oci" => {
            let tag = version.unwrap_or("latest");
            let mut out = vec![cmd("Pull with Docker", format!("docker pull {host}/{full}:{tag}"))];
            if let Some(v) = selected {
                out.push(cmd("Pin by digest", format!("docker pull {host}/{full}@{}", v.digest)));
            }
            out
        }
        "npm" if npm_unscoped == Some(scope.as_str()) => vec![
            config(".npmrc", format!("registry={base}/npm/")),
            cmd(
                "npm",
                match pinned {
                    Some(v) => format!("npm install {name}@{v}"),
                    None => format!("npm install {name}"),
                },
            ),
        ],
        "npm" => vec![
            config(".npmrc", format!("@{scope}:registry={base}/npm/")),
            cmd(
                "npm",
                match pinned {
                    Some(v) => format!("npm install @{scope}/{name}@{v}"),
                    None => format!("npm install @{scope}/{name}"),
                },
            ),
        ],
        "cargo" => vec![
            config(
                ".cargo/config.toml",
                format!("[registries.{scope}]\nindex = \"sparse+{base}/cargo/{scope}/index/\""),
            ),
            cmd(
                "Cargo",
                match pinned {
                    Some(v) => format!("cargo add {name}@={v} --registry {scope}"),
                    None => format!("cargo add {name} --registry {scope}"),
                },
            ),
        ],
        "pypi" => {
            let requirement = match pinned {
                Some(v) => format!("{name}=={v}"),
                None => name.to_string(),
            };
            let index = format!("{base}/pypi/{scope}/simple/");
            vec![
                cmd("pip", format!("pip install --index-url {index} {requirement}")),
                // uv records the index (named after the namespace) in pyproject.toml.
                cmd("uv", format!("uv add --index {scope}={index} {requirement}")),
            ]
        }
        _ => {
            let mut out = Vec::new();
            match version {
                Some(v) => {
                    out.push(cmd("Add it to your project", format!("trove add {full}@^{v}")));
                    out.push(cmd("This version exactly", format!("trove add {full}@={v}")));
                }
                None => out.push(cmd("Add it to your project", format!("trove add {full}"))),
            }
            out
        }
    }
}

fn versions_table(pkg: &PackageView, versions: &[VersionView], selected: Option<&VersionView>, oci: bool) -> Markup {
    let url = package_url(&pkg.scope, &pkg.name);
    html! {
        @if versions.is_empty() {
            p.empty { "No versions." }
        } @else {
            div.table-wrap {
                table.table {
                    thead {
                        tr {
                            th scope="col" { @if oci { "Tag" } @else { "Version" } }
                            th scope="col" { @if oci { "Pushed" } @else { "Published" } }
                            @if oci { th scope="col" { "Digest" } } @else { th scope="col" { "Downloads" } }
                            th scope="col" { "Status" }
                        }
                    }
                    tbody {
                        @for v in versions {
                            @let is_selected = selected.is_some_and(|s| s.version == v.version);
                            tr.selected[is_selected] .yanked[v.yanked] {
                                th scope="row" {
                                    a href={ (url) "?version=" (encode(&v.version)) }
                                        aria-current=[is_selected.then_some("true")] {
                                        (v.version)
                                    }
                                }
                                td { time datetime=(v.created_at) title=(date_time(&v.created_at)) { (crate::fmt::date(&v.created_at)) } }
                                @if oci {
                                    td { code title=(v.digest) { (short_digest(&v.digest)) } }
                                } @else {
                                    td.num { (compact(v.downloads)) }
                                }
                                td.status {
                                    @if pkg.latest_version.as_deref() == Some(v.version.as_str()) {
                                        span.badge.badge-ok { "latest" }
                                    }
                                    @if v.yanked { span.badge.badge-warn { "yanked" } }
                                    @if let Some(m) = &v.deprecated {
                                        span.badge.badge-warn { "deprecated" }
                                        span.deprecation-note { (m) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(ecosystem: &str, scope: &str, name: &str) -> PackageView {
        PackageView {
            scope: scope.into(),
            name: name.into(),
            full_name: format!("{scope}/{name}"),
            ecosystem: ecosystem.parse().unwrap(),
            kind: trove_core::PackageKind::Library,
            visibility: trove_core::Visibility::Public,
            description: None,
            license: None,
            keywords: vec![],
            categories: vec![],
            homepage: None,
            repository: None,
            readme: None,
            latest_version: Some("1.2.0".into()),
            downloads: 0,
            created_at: "2024-01-01T00:00:00.000Z".into(),
            updated_at: "2024-01-01T00:00:00.000Z".into(),
        }
    }

    fn version(v: &str, digest: &str) -> VersionView {
        VersionView {
            package: String::new(),
            version: v.into(),
            digest: digest.into(),
            size: 1,
            dependencies: Default::default(),
            yanked: false,
            yanked_at: None,
            yank_reason: None,
            deprecated: None,
            publisher: None,
            downloads: 0,
            created_at: "2024-01-01T00:00:00.000Z".into(),
            download_url: String::new(),
            manifest: serde_json::Value::Null,
            scan: None,
        }
    }

    fn texts(s: &[Snippet]) -> Vec<&str> {
        s.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn install_snippets_follow_the_ecosystem() {
        let base = "https://trove.example.com";
        let latest = version("1.2.0", "sha256:ab");
        let native = install_snippets(&view("native", "alice", "widget"), Some(&latest), base, None);
        assert_eq!(
            texts(&native),
            ["trove add alice/widget@^1.2.0", "trove add alice/widget@=1.2.0"]
        );
        let oci = install_snippets(
            &view("oci", "acme", "tools/app"),
            Some(&version("v2", "sha256:cd")),
            "https://trove.example.com:8443/",
            None,
        );
        assert_eq!(oci[0].text, "docker pull trove.example.com:8443/acme/tools/app:v2");
        assert_eq!(
            oci[1].text,
            "docker pull trove.example.com:8443/acme/tools/app@sha256:cd"
        );
        let untagged = install_snippets(&view("oci", "acme", "app"), None, "http://127.0.0.1:8080", None);
        assert_eq!(texts(&untagged), ["docker pull 127.0.0.1:8080/acme/app:latest"]);

        let npm = install_snippets(&view("npm", "acme", "left-pad"), Some(&latest), base, None);
        assert_eq!(
            texts(&npm),
            [
                "@acme:registry=https://trove.example.com/npm/",
                "npm install @acme/left-pad"
            ]
        );
        assert!(!npm[0].command && npm[1].command);
        // The namespace owning unscoped names: its packages go by their bare names.
        let bare = install_snippets(&view("npm", "acme", "left-pad"), Some(&latest), base, Some("acme"));
        assert_eq!(
            texts(&bare),
            ["registry=https://trove.example.com/npm/", "npm install left-pad"]
        );
        let other = install_snippets(&view("npm", "bob", "x"), Some(&latest), base, Some("acme"));
        assert_eq!(texts(&other)[1], "npm install @bob/x");
        let cargo = install_snippets(
            &view("cargo", "acme", "serde_x"),
            Some(&latest),
            "https://trove.example.com/",
            None,
        );
        assert_eq!(
            texts(&cargo),
            [
                "[registries.acme]\nindex = \"sparse+https://trove.example.com/cargo/acme/index/\"",
                "cargo add serde_x --registry acme",
            ]
        );
        let pypi = install_snippets(&view("pypi", "acme", "requests2"), Some(&latest), base, None);
        assert_eq!(
            texts(&pypi),
            [
                "pip install --index-url https://trove.example.com/pypi/acme/simple/ requests2",
                "uv add --index acme=https://trove.example.com/pypi/acme/simple/ requests2",
            ]
        );
    }

    #[test]
    fn install_snippets_pin_versions_other_than_the_latest() {
        let base = "https://t.example";
        let old = version("1.0.0", "sha256:ab");
        let npm = install_snippets(&view("npm", "acme", "x"), Some(&old), base, None);
        assert_eq!(npm[1].text, "npm install @acme/x@1.0.0");
        let cargo = install_snippets(&view("cargo", "acme", "x"), Some(&old), base, None);
        assert_eq!(cargo[1].text, "cargo add x@=1.0.0 --registry acme");
        let pypi = install_snippets(&view("pypi", "acme", "x"), Some(&old), base, None);
        assert_eq!(
            texts(&pypi),
            [
                "pip install --index-url https://t.example/pypi/acme/simple/ x==1.0.0",
                "uv add --index acme=https://t.example/pypi/acme/simple/ x==1.0.0",
            ]
        );
        let native = install_snippets(&view("native", "acme", "x"), None, base, None);
        assert_eq!(texts(&native), ["trove add acme/x"]);
    }

    #[test]
    fn prereleases_follow_the_ecosystem_scheme() {
        assert!(is_prerelease("native", "2.0.0-rc.1"));
        assert!(!is_prerelease("npm", "2.0.0"));
        assert!(is_prerelease("pypi", "2.0rc1"));
        assert!(is_prerelease("pypi", "1.0.dev3"));
        assert!(is_prerelease("pypi", "1.0b2"));
        assert!(!is_prerelease("pypi", "1.0.post1"));
        assert!(!is_prerelease("pypi", "1.0"));
        assert!(!is_prerelease("oci", "1.0-rc"));
    }

    #[test]
    fn version_banners_put_the_message_in_text() {
        let pkg = view("native", "alice", "widget");
        let mut v = version("1.0.0", "sha256:ab");
        v.yanked = true;
        v.yank_reason = Some("bad <i>build</i>".into());
        v.deprecated = Some("use <b>2</b>".into());
        let html = version_banner(&pkg, &v).into_string();
        assert!(
            html.contains("Reason: <span class=\"yank-reason\">bad &lt;i&gt;build&lt;/i&gt;</span>"),
            "{html}"
        );
        assert!(
            html.contains("role=\"alert\"><strong>Version 1.0.0 has been yanked.</strong>"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"deprecation-message\">use &lt;b&gt;2&lt;/b&gt;</span>"),
            "{html}"
        );
        assert!(html.contains("not the latest version"), "{html}");
        assert!(
            html.contains("href=\"/packages/alice/widget\">See the latest, 1.2.0</a>"),
            "{html}"
        );
        let latest = version_banner(&pkg, &version("1.2.0", "sha256:ab")).into_string();
        assert!(latest.is_empty(), "{latest}");
    }

    #[test]
    fn only_web_links_are_links() {
        assert!(link("https://example.com/x")
            .into_string()
            .contains("<a class=\"ext\" href=\"https://example.com/x\""));
        let js = link("javascript:alert(1)").into_string();
        assert!(!js.contains("<a"), "{js}");
    }
}
