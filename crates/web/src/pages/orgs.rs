//! Organizations in the dashboard: create, and manage members and their roles.

use super::avatar;
use crate::error::{redirect, WebError, WebResult};
use crate::fmt::{encode, time_ago};
use crate::form::FormData;
use crate::layout::{csrf_field, dashboard_tabs, notice, page_head, Page};
use crate::session::Viewer;
use crate::WebState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use trove_service::quotas::human_bytes;
use trove_service::ErrorKind;

const ROLES: &[&str] = &["owner", "admin", "write", "read"];

fn flash(raw: &Option<String>) -> Option<(&'static str, &'static str)> {
    match raw.as_deref() {
        Some("saved=1") => Some(("ok", "Member saved.")),
        Some("removed=1") => Some(("ok", "Member removed.")),
        Some("created=1") => Some(("ok", "Organization created. You are its owner.")),
        Some("left=1") => Some(("ok", "You left the organization.")),
        _ => None,
    }
}

pub async fn list_orgs(State(state): State<WebState>, viewer: Viewer, RawQuery(raw): RawQuery) -> WebResult {
    viewer.require_user()?;
    list_page(&state, &viewer, "", "", flash(&raw), StatusCode::OK).await
}

pub async fn create_org(State(state): State<WebState>, viewer: Viewer, form: FormData) -> WebResult {
    form.signed_in(&viewer)?;
    let name = form.get("name");
    let description = Some(form.get("description")).filter(|d| !d.is_empty());
    match state.services.orgs().create_org(&viewer.ctx, name, description).await {
        Ok(org) => Ok(redirect(&format!("/dashboard/orgs/{}?created=1", org.name))),
        Err(e)
            if matches!(
                e.kind,
                ErrorKind::Unprocessable | ErrorKind::Conflict | ErrorKind::BadRequest
            ) =>
        {
            let status = if e.kind == ErrorKind::Conflict {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let msg = e.message;
            list_page(
                &state,
                &viewer,
                name,
                description.unwrap_or(""),
                Some(("error", &msg)),
                status,
            )
            .await
        }
        Err(e) => Err(WebError::from_service(e, viewer.chrome())),
    }
}

async fn list_page(
    state: &WebState,
    viewer: &Viewer,
    name: &str,
    description: &str,
    msg: Option<(&str, &str)>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let user = viewer.require_user()?;
    let orgs = state
        .services
        .orgs()
        .orgs_of(user.id)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let csrf = viewer.csrf().unwrap_or_default();
    let body = html! {
        (page_head("Organizations", Some(html! { "Share a namespace and its packages with your team." })))
        (dashboard_tabs("orgs", user.admin()))
        @if let Some((kind, text)) = msg { (notice(kind, text)) }
        div.dash-layout {
            section.card aria-labelledby="orgs-title" {
                h2 #orgs-title { "Your organizations " span.count { (orgs.len()) } }
                @if orgs.is_empty() {
                    p.empty { "You are not a member of any organization yet." }
                } @else {
                    ul.people.people-large {
                        @for (org, role) in &orgs {
                            li {
                                (avatar(org, "sm"))
                                a href={ "/orgs/" (org) } { (org) }
                                span.badge { (role) }
                                @if role == "owner" || role == "admin" {
                                    a.btn.btn-small.push-right href={ "/dashboard/orgs/" (org) } { "Manage" }
                                } @else {
                                    a.btn.btn-small.push-right href={ "/dashboard/orgs/" (org) } { "Members" }
                                }
                            }
                        }
                    }
                }
            }
            section.card aria-labelledby="new-org-title" {
                h2 #new-org-title { "Create an organization" }
                form.stack action="/dashboard/orgs" method="post" {
                    (csrf_field(csrf))
                    div.field {
                        label for="org-name" { "Name" }
                        input #org-name type="text" name="name" value=(name) required maxlength="64"
                            autocapitalize="none" spellcheck="false" aria-describedby="org-name-hint";
                        p.hint #org-name-hint { "Becomes the namespace: " code { "name/package" } "." }
                    }
                    div.field {
                        label for="org-description" { "Description (optional)" }
                        input #org-description type="text" name="description" value=(description) maxlength="1000";
                    }
                    button.btn.btn-primary type="submit" { "Create organization" }
                }
            }
        }
    };
    Ok(Page::new(viewer.chrome(), "Organizations", body)
        .status(status)
        .into_response())
}

pub async fn manage_org(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
) -> WebResult {
    viewer.require_user()?;
    manage_page(&state, &viewer, &org, flash(&raw), StatusCode::OK).await
}

async fn manage_page(
    state: &WebState,
    viewer: &Viewer,
    org: &str,
    msg: Option<(&str, &str)>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let user = viewer.require_user()?;
    let view = state
        .services
        .orgs()
        .get_org(org)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let my_role = view
        .members
        .iter()
        .find(|m| m.username == user.username)
        .map(|m| m.role.as_str());
    let manager = user.admin() || matches!(my_role, Some("owner" | "admin"));
    let owner = user.admin() || my_role == Some("owner");
    let csrf = viewer.csrf().unwrap_or_default();
    let base = format!("/dashboard/orgs/{}", view.name);
    // Members see the organization's storage use (and its quota, when one is set).
    let usage = state
        .services
        .quotas()
        .storage_usage(&viewer.ctx, &view.name)
        .await
        .ok();
    let body = html! {
        (page_head(&view.name, Some(html! {
            @if let Some(d) = &view.description { (d) " · " }
            a href={ "/orgs/" (view.name) } { "Public page" }
            @if owner { " · " a href={ "/admin/audit?org=" (encode(&view.name)) } { "Audit log" } }
            @if let Some(u) = &usage {
                " · " span #storage-usage {
                    "Storage: " (human_bytes(u.used_bytes.max(0) as u64))
                    @if let Some(q) = u.quota_bytes { " of " (human_bytes(q.max(0) as u64)) " quota" }
                }
            }
        })))
        (dashboard_tabs("orgs", user.admin()))
        @if let Some((kind, text)) = msg { (notice(kind, text)) }
        div.dash-layout {
            section.card aria-labelledby="members-title" {
                h2 #members-title { "Members " span.count { (view.members.len()) } }
                div.table-wrap {
                    table.table {
                        thead {
                            tr {
                                th scope="col" { "Member" }
                                th scope="col" { "Role" }
                                th scope="col" { "Since" }
                                th scope="col" { span.sr-only { "Actions" } }
                            }
                        }
                        tbody {
                            @for m in &view.members {
                                tr {
                                    th scope="row" {
                                        (avatar(&m.username, "sm")) " "
                                        a href={ "/users/" (m.username) } { (m.username) }
                                    }
                                    td {
                                        @if manager {
                                            form.inline-form action={ (base) "/members" } method="post" {
                                                (csrf_field(csrf))
                                                input type="hidden" name="username" value=(m.username);
                                                label.sr-only for={ "role-" (m.username) } { "Role of " (m.username) }
                                                select id={ "role-" (m.username) } name="role" {
                                                    @for r in ROLES {
                                                        option value=(r) selected[m.role == *r] { (r) }
                                                    }
                                                }
                                                button.btn.btn-small type="submit" aria-label={ "Save the role of " (m.username) } { "Save" }
                                            }
                                        } @else {
                                            span.badge { (m.role) }
                                        }
                                    }
                                    td { (time_ago(&m.since)) }
                                    td.actions {
                                        @if manager || m.username == user.username {
                                            form.inline action={ (base) "/members/" (m.username) "/remove" } method="post" {
                                                (csrf_field(csrf))
                                                button.btn.btn-danger.btn-small type="submit"
                                                    aria-label={ "Remove " (m.username) " from " (view.name) } {
                                                    @if m.username == user.username { "Leave" } @else { "Remove" }
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
            @if manager {
                section.card aria-labelledby="add-title" {
                    h2 #add-title { "Add a member" }
                    form.stack action={ (base) "/members" } method="post" {
                        (csrf_field(csrf))
                        div.field {
                            label for="member-username" { "Username" }
                            input #member-username type="text" name="username" required autocapitalize="none" spellcheck="false";
                        }
                        div.field {
                            label for="member-role" { "Role" }
                            select #member-role name="role" {
                                @for r in ROLES {
                                    option value=(r) selected[*r == "write"] { (r) }
                                }
                            }
                            p.hint { "read: see private packages · write: publish · admin: manage members · owner: everything" }
                        }
                        button.btn.btn-primary type="submit" { "Add member" }
                    }
                }
            }
        }
    };
    Ok(Page::new(viewer.chrome(), view.name.clone(), body)
        .status(status)
        .into_response())
}

pub async fn set_member(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(org): Path<String>,
    form: FormData,
) -> WebResult {
    form.signed_in(&viewer)?;
    match state
        .services
        .orgs()
        .set_member(&viewer.ctx, &org, form.get("username"), form.get("role"))
        .await
    {
        Ok(_) => Ok(redirect(&format!("/dashboard/orgs/{org}?saved=1"))),
        Err(e) => member_error(&state, &viewer, &org, e).await,
    }
}

pub async fn remove_member(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((org, username)): Path<(String, String)>,
    form: FormData,
) -> WebResult {
    let me = form.signed_in(&viewer)?.username.clone();
    match state.services.orgs().remove_member(&viewer.ctx, &org, &username).await {
        Ok(()) if me == username => Ok(redirect("/dashboard/orgs?left=1")),
        Ok(()) => Ok(redirect(&format!("/dashboard/orgs/{org}?removed=1"))),
        Err(e) => member_error(&state, &viewer, &org, e).await,
    }
}

/// A refused member change: the management page again with the reason.
async fn member_error(state: &WebState, viewer: &Viewer, org: &str, e: trove_service::ServiceError) -> WebResult {
    let status = match e.kind {
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Unprocessable | ErrorKind::BadRequest => StatusCode::UNPROCESSABLE_ENTITY,
        _ => return Err(WebError::from_service(e, viewer.chrome())),
    };
    let msg = e.message;
    manage_page(state, viewer, org, Some(("error", &msg)), status).await
}
