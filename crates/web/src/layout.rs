//! The frame around every page: head, header with search and navigation, footer.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// What the frame shows about the viewer.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub user: Option<String>,
    pub admin: bool,
    /// The session's CSRF token (for the logout form).
    pub csrf: Option<String>,
    /// The search box's value.
    pub query: String,
}

/// The logo mark (decorative; the link around it carries the name).
pub const LOGO: &str = r#"<svg class="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" focusable="false"><path d="M10 9V7.5A3.5 3.5 0 0 1 13.5 4h5A3.5 3.5 0 0 1 22 7.5V9" fill="none" stroke="currentColor" stroke-width="2.4"/><rect x="3" y="9" width="26" height="19" rx="4.5" fill="currentColor" opacity=".22"/><path d="M3 13.5A4.5 4.5 0 0 1 7.5 9h17a4.5 4.5 0 0 1 4.5 4.5V17H3z" fill="currentColor"/><rect x="12.5" y="14" width="7" height="7" rx="1.8" fill="currentColor" stroke="var(--surface)" stroke-width="1.6"/></svg>"#;

/// A rendered page on its way out.
pub struct Page {
    title: String,
    chrome: Chrome,
    body: Markup,
    status: StatusCode,
    cookies: Vec<String>,
    description: Option<String>,
    /// Whether the header shows its search box (not on pages with a search form of their own).
    header_search: bool,
}

impl Page {
    pub fn new(chrome: Chrome, title: impl Into<String>, body: Markup) -> Self {
        Page {
            title: title.into(),
            chrome,
            body,
            status: StatusCode::OK,
            cookies: Vec::new(),
            description: None,
            header_search: true,
        }
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Adds a `Set-Cookie` header.
    pub fn cookie(mut self, cookie: String) -> Self {
        self.cookies.push(cookie);
        self
    }

    /// The page has a search form of its own: the header leaves its search box out, so
    /// that there is one search box (and one search landmark) on the page.
    pub fn own_search(mut self) -> Self {
        self.header_search = false;
        self
    }

    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }

    fn markup(&self) -> Markup {
        let c = &self.chrome;
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="color-scheme" content="light dark";
                    title { (self.title) " · Trove" }
                    @if let Some(d) = &self.description {
                        meta name="description" content=(d);
                    }
                    link rel="stylesheet" href=(crate::style_url());
                    link rel="icon" href="/favicon.svg" type="image/svg+xml";
                    script src=(crate::script_url()) defer {}
                }
                body {
                    a.skip href="#main" { "Skip to content" }
                    header.site-header {
                        div.wrap.header-inner {
                            a.brand href="/" { (PreEscaped(LOGO)) span { "Trove" } }
                            @if self.header_search {
                                form.header-search role="search" action="/search" method="get" {
                                    label.sr-only for="site-search" { "Search packages" }
                                    input #site-search type="search" name="q" value=(c.query)
                                        placeholder="Search packages" autocomplete="off";
                                    button.btn.btn-search type="submit" { "Search" }
                                }
                            }
                            nav.site-nav aria-label="Main" {
                                ul {
                                    li { a href="/search" { "Browse" } }
                                    @if let Some(user) = &c.user {
                                        li { a href="/dashboard" { "Dashboard" } }
                                        @if c.admin {
                                            li { a href="/admin" { "Admin" } }
                                        }
                                        li { a.nav-user href={ "/users/" (user) } { (user) } }
                                        li {
                                            form.inline action="/logout" method="post" {
                                                input type="hidden" name="_csrf" value=(c.csrf.as_deref().unwrap_or(""));
                                                button.linklike type="submit" { "Log out" }
                                            }
                                        }
                                    } @else {
                                        li { a href="/login" { "Log in" } }
                                        li { a.btn.btn-primary.btn-small href="/register" { "Register" } }
                                    }
                                }
                            }
                        }
                    }
                    main #main tabindex="-1" {
                        div.wrap { (self.body) }
                    }
                    footer.site-footer {
                        div.wrap.footer-inner {
                            span { "Trove " (env!("CARGO_PKG_VERSION")) " — a self-hosted package registry" }
                            nav aria-label="Footer" {
                                a href="/search" { "All packages" }
                                a href="/api/v1/openapi.json" { "API" }
                                a href="/health/ready" { "Status" }
                            }
                        }
                    }
                }
            }
        }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let personal = self.chrome.user.is_some() || !self.cookies.is_empty();
        let mut res = (self.status, self.markup().into_string()).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if personal { "private, no-store" } else { "no-cache" }),
        );
        h.insert(header::VARY, HeaderValue::from_static("Cookie"));
        for c in &self.cookies {
            if let Ok(v) = HeaderValue::from_str(c) {
                h.append(header::SET_COOKIE, v);
            }
        }
        res
    }
}

/// A notice box (`kind`: `ok`, `warn`, `error`, `info`). Errors are announced at once.
pub fn notice(kind: &str, text: &str) -> Markup {
    html! {
        @if kind == "error" {
            div class={ "notice notice-" (kind) } role="alert" { (text) }
        } @else {
            div class={ "notice notice-" (kind) } role="status" { (text) }
        }
    }
}

/// The hidden CSRF field of a form.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="_csrf" value=(token); }
}

/// A page heading with an optional line under it.
pub fn page_head(title: &str, sub: Option<Markup>) -> Markup {
    html! {
        div.page-head {
            h1 { (title) }
            @if let Some(s) = sub { p.lede { (s) } }
        }
    }
}

/// The dashboard's section tabs.
pub fn dashboard_tabs(active: &str, admin: bool) -> Markup {
    let tabs: &[(&str, &str, &str)] = &[
        ("overview", "/dashboard", "Overview"),
        ("tokens", "/dashboard/tokens", "API tokens"),
        ("orgs", "/dashboard/orgs", "Organizations"),
        ("webhooks", "/dashboard/webhooks", "Webhooks"),
        ("device", "/device", "Device login"),
        ("settings", "/dashboard/settings", "Settings"),
    ];
    html! {
        nav.tabs aria-label="Dashboard" {
            @for (key, href, label) in tabs {
                @if *key == active {
                    a.active href=(href) aria-current="page" { (label) }
                } @else {
                    a href=(href) { (label) }
                }
            }
            @if admin {
                a href="/admin" { "Admin" }
            }
        }
    }
}
