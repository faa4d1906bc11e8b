//! Site administration: accounts and the audit log (organization owners may read their
//! organization's part of the log).

use super::{avatar, pagination};
use crate::error::{WebError, WebResult};
use crate::fmt::{date_time, query, thousands, time_ago};
use crate::layout::{page_head, Page};
use crate::session::Viewer;
use crate::WebState;
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use maud::{html, Markup};
use trove_service::audit::AuditQuery;

const USERS_PER_PAGE: i64 = 50;
const EVENTS_PER_PAGE: i64 = 50;

fn params(raw: &Option<String>) -> Vec<(String, String)> {
    raw.as_deref()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .unwrap_or_default()
}

fn param<'a>(p: &'a [(String, String)], key: &str) -> &'a str {
    p.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()).unwrap_or("")
}

fn admin_tabs(active: &str) -> Markup {
    html! {
        nav.tabs aria-label="Administration" {
            @for (key, href, label) in [("users", "/admin", "Users"), ("audit", "/admin/audit", "Audit log")] {
                @if key == active {
                    a.active href=(href) aria-current="page" { (label) }
                } @else {
                    a href=(href) { (label) }
                }
            }
        }
    }
}

pub async fn users(State(state): State<WebState>, viewer: Viewer, RawQuery(raw): RawQuery) -> WebResult {
    viewer.require_user()?;
    let p = params(&raw);
    let page = param(&p, "page").parse::<i64>().ok().filter(|n| *n >= 1).unwrap_or(1);
    let (users, total) = state
        .services
        .pages()
        .admin_list_users(&viewer.ctx, USERS_PER_PAGE, (page - 1) * USERS_PER_PAGE)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let pages = (total as usize).div_ceil(USERS_PER_PAGE as usize);
    let csrf = viewer.csrf().unwrap_or_default();
    let me = viewer.user().map(|u| u.username.clone()).unwrap_or_default();
    let done = match (param(&p, "done"), param(&p, "user")) {
        ("disable", u) => Some(format!(
            "{u} is disabled: their sessions ended and their tokens no longer work."
        )),
        ("enable", u) => Some(format!("{u} is enabled again.")),
        ("make-admin", u) => Some(format!("{u} is now a site admin.")),
        ("remove-admin", u) => Some(format!("{u} is no longer a site admin.")),
        _ => None,
    };
    let body = html! {
        (page_head("Administration", Some(html! { (thousands(total)) " accounts" })))
        (admin_tabs("users"))
        @if let Some(d) = &done { (crate::layout::notice("ok", d)) }
        section.card aria-labelledby="users-title" {
            h2 #users-title { "Users" }
            div.table-wrap {
                table.table {
                    thead {
                        tr {
                            th scope="col" { "User" }
                            th scope="col" { "Email" }
                            th scope="col" { "Role" }
                            th scope="col" { "Joined" }
                            th scope="col" { span.sr-only { "Links" } }
                        }
                    }
                    tbody {
                        @for u in &users {
                            tr {
                                th scope="row" {
                                    (avatar(&u.username, "sm")) " "
                                    a href={ "/users/" (u.username) } { (u.username) }
                                }
                                td { (u.email) }
                                td {
                                    @if u.admin() { span.badge.badge-ok { "admin" } } @else { span.muted { "user" } }
                                    @if u.disabled { " " span.badge.badge-warn { "disabled" } }
                                }
                                td { (time_ago(&trove_core::time::rfc3339(u.created_at))) }
                                td.user-actions {
                                    a.small href={ "/admin/audit" (query(&[("actor", &u.username)])) } { "Activity" }
                                    @if u.username != me {
                                        @for (action, label) in [
                                            if u.disabled { ("enable", "Enable") } else { ("disable", "Disable") },
                                            if u.admin() { ("remove-admin", "Remove admin") } else { ("make-admin", "Make admin") },
                                        ] {
                                            form.inline method="post" action={ "/admin/users/" (u.username) "/" (action) } {
                                                (crate::layout::csrf_field(csrf))
                                                button.btn.btn-small type="submit" aria-label={ (label) " " (u.username) } { (label) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (pagination(page as usize, pages, |n| format!("/admin?page={n}")))
        }
    };
    Ok(Page::new(viewer.chrome(), "Users · Admin", body).into_response())
}

pub async fn audit(State(state): State<WebState>, viewer: Viewer, RawQuery(raw): RawQuery) -> WebResult {
    let user = viewer.require_user()?;
    let p = params(&raw);
    let (action, actor, org) = (param(&p, "action"), param(&p, "actor"), param(&p, "org"));
    let before = param(&p, "before").parse::<i64>().ok();
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let events = state
        .services
        .audit()
        .list_audit(
            &viewer.ctx,
            AuditQuery {
                org: some(org),
                action: some(action),
                actor: some(actor),
                before_id: before,
                limit: Some(EVENTS_PER_PAGE),
            },
        )
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let older = (events.len() as i64 == EVENTS_PER_PAGE)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    let title = if org.is_empty() {
        "Audit log".to_string()
    } else {
        format!("Audit log of {org}")
    };
    let body = html! {
        (page_head(&title, Some(html! { "Every security-relevant action, newest first." })))
        @if user.admin() { (admin_tabs("audit")) }
        form.filter-form action="/admin/audit" method="get" {
            @if !org.is_empty() { input type="hidden" name="org" value=(org); }
            div.field {
                label for="f-action" { "Action" }
                input #f-action type="text" name="action" value=(action) placeholder="e.g. version.publish";
            }
            div.field {
                label for="f-actor" { "Actor" }
                input #f-actor type="text" name="actor" value=(actor) placeholder="username";
            }
            div.field.field-button { button.btn type="submit" { "Filter" } }
        }
        section.card aria-labelledby="events-title" {
            h2.sr-only #events-title { "Events" }
            @if events.is_empty() {
                p.empty { "No events." }
            } @else {
                div.table-wrap {
                    table.table.audit {
                        thead {
                            tr {
                                th scope="col" { "When" }
                                th scope="col" { "Actor" }
                                th scope="col" { "Action" }
                                th scope="col" { "Target" }
                                th scope="col" { "From" }
                                th scope="col" { "Details" }
                            }
                        }
                        tbody {
                            @for e in &events {
                                @let at = trove_core::time::rfc3339(e.at);
                                tr {
                                    td { time datetime=(at) title=(date_time(&at)) { (date_time(&at)) } }
                                    td {
                                        @match &e.actor {
                                            Some(a) => a href={ "/admin/audit" (query(&[("actor", a), ("org", org)])) } { (a) },
                                            None => span.muted { "anonymous" },
                                        }
                                    }
                                    td { a href={ "/admin/audit" (query(&[("action", &e.action), ("org", org)])) } { code { (e.action) } } }
                                    td { code { (e.target) } }
                                    td.muted { (e.ip.as_deref().unwrap_or("—")) }
                                    td { (details(&e.details)) }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(id) = older {
                nav.pagination aria-label="Pages" {
                    a rel="next" href={ "/admin/audit" (query(&[("action", action), ("actor", actor), ("org", org), ("before", &id.to_string())])) } { "Older events →" }
                }
            }
        }
    };
    Ok(Page::new(viewer.chrome(), title, body).into_response())
}

/// An event's details (a JSON object) as a list of fields and readable values; anything but
/// an object stays as the text it is.
fn details(json: &str) -> Markup {
    use serde_json::Value;
    fn text(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Null => "—".into(),
            Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
            Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
            other => other.to_string(),
        }
    }
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(fields)) => html! {
            @if !fields.is_empty() {
                dl.details {
                    @for (k, v) in &fields {
                        div { dt { (k.replace('_', " ")) } dd { (text(v)) } }
                    }
                }
            }
        },
        _ => html! { code.details { (json) } },
    }
}

#[cfg(test)]
mod tests {
    use super::details;

    #[test]
    fn audit_details_are_fields_not_json() {
        let html =
            details(r#"{"version":"1.0.0","scopes":["read","publish"],"admin":true,"reason":null}"#).into_string();
        assert!(html.contains("<dt>version</dt><dd>1.0.0</dd>"), "{html}");
        assert!(html.contains("<dt>scopes</dt><dd>read, publish</dd>"), "{html}");
        assert!(html.contains("<dt>admin</dt><dd>yes</dd>"), "{html}");
        assert!(html.contains("<dt>reason</dt><dd>—</dd>"), "{html}");
        assert!(!html.contains('{'), "{html}");
        assert_eq!(details("{}").into_string(), "");
        assert!(details("not json").into_string().contains("not json"));
    }
}
