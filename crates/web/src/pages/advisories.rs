//! Security advisories: the list, an advisory's page (its Markdown details sanitized like
//! READMEs), the report form (package owners may publish from it directly), the review queue
//! with accept and reject, withdrawing, and the banner of affected package versions.
//!
//! Who may see or do what is decided by the service (`svc.advisories()`); a report or a
//! private package's advisory the viewer may not see is the 404 page.

use super::package::AdvisoryNotice;
use crate::error::{redirect, WebError, WebResult};
use crate::fmt::{date_time, encode};
use crate::form::FormData;
use crate::layout::{csrf_field, notice, page_head, Page};
use crate::markdown;
use crate::session::Viewer;
use crate::WebState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use maud::{html, Markup, PreEscaped};
use serde_json::Value;
use trove_service::advisories::{
    AdvisoryContent, AdvisoryView, AffectedVersions, ListQuery, NewAdvisory, OsvEvent, OsvRange, OsvSeverity,
};
use trove_service::views::PackageView;

fn advisory_url(id: &str) -> String {
    format!("/advisories/{}", encode(id))
}

fn severity_badge(a: &AdvisoryView) -> Markup {
    let label = a.severity.as_deref().unwrap_or("unrated");
    html! {
        span class={ "badge severity severity-" (label) } {
            (label)
            @if let Some(s) = a.score { " " (format!("{s:.1}")) }
        }
    }
}

/// The banner's advisories for a package page (nothing when there are none or on failure:
/// the page itself must still render).
pub async fn notices(
    state: &WebState,
    viewer: &Viewer,
    pkg: &PackageView,
    version: Option<&str>,
) -> Vec<AdvisoryNotice> {
    state
        .services
        .advisories()
        .affecting_package(&viewer.ctx, pkg.ecosystem.as_str(), &pkg.scope, &pkg.name, version)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(a, range)| AdvisoryNotice {
            summary: a.osv["summary"].as_str().unwrap_or(&a.id).to_string(),
            severity: a.severity.clone().unwrap_or_else(|| "unrated".into()),
            id: a.id,
            affected: range,
        })
        .collect()
}

fn query_pairs(raw: &Option<String>) -> Vec<(String, String)> {
    raw.as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

/// `GET /advisories`: published advisories, newest first (`q`, `ecosystem` filter).
pub async fn list(State(state): State<WebState>, viewer: Viewer, RawQuery(raw): RawQuery) -> WebResult {
    let pairs = query_pairs(&raw);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let q = ListQuery {
        ecosystem: get("ecosystem"),
        q: get("q"),
        limit: Some(100),
        before: None,
    };
    let list = state
        .services
        .advisories()
        .list_advisories(&viewer.ctx, q.clone())
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let body = html! {
        (page_head("Security advisories", Some(html! {
            "Vulnerable and malicious versions, in the OSV format. "
            a href="/advisories/report" { "Report a vulnerability" }
            @if viewer.user().is_some() { " · " a href="/advisories/reviews" { "Review queue" } }
        })))
        form.filters method="get" action="/advisories" {
            input type="search" name="q" value=(q.q.clone().unwrap_or_default()) placeholder="id or summary" aria-label="Search advisories";
            select name="ecosystem" aria-label="Ecosystem" {
                option value="" { "all ecosystems" }
                @for e in ["Trove", "npm", "crates.io", "PyPI"] {
                    option value=(e) selected[q.ecosystem.as_deref() == Some(e)] { (e) }
                }
            }
            button type="submit" { "Filter" }
        }
        @if list.is_empty() {
            p.empty { "No advisories." }
        } @else {
            table.advisories {
                thead { tr { th { "Advisory" } th { "Severity" } th { "Package" } th { "Summary" } th { "Modified" } } }
                tbody {
                    @for a in &list {
                        tr {
                            td { a href=(advisory_url(&a.id)) { (a.id) } @if a.withdrawn { " " span.badge { "withdrawn" } } }
                            td { (severity_badge(a)) @if a.malicious { " " span.badge.badge-warn { "malicious" } } }
                            td { (packages(&a.osv)) }
                            td { (a.osv["summary"].as_str().unwrap_or_default()) }
                            td { (date_time(a.osv["modified"].as_str().unwrap_or_default())) }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new(viewer.chrome(), "Security advisories", body).into_response())
}

/// The affected packages of an OSV document, `ecosystem/name`.
fn packages(doc: &Value) -> Markup {
    let names: Vec<String> = doc["affected"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    let p = &e["package"];
                    Some(format!("{} {}", p["ecosystem"].as_str()?, p["name"].as_str()?))
                })
                .collect()
        })
        .unwrap_or_default();
    html! { (names.join(", ")) }
}

/// `GET /advisories/{id}`: the advisory with its sanitized details; reviewers of a report get
/// its accept and reject buttons, managers of a published one its withdraw button.
pub async fn show(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> WebResult {
    let a = state
        .services
        .advisories()
        .get_advisory(&viewer.ctx, &id)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let flash = match raw.as_deref() {
        Some("reported=1") => Some((
            "ok",
            "Thank you: the report waits for the package's owners to review it.",
        )),
        Some("accepted=1") => Some(("ok", "Accepted: the advisory is published.")),
        Some("rejected=1") => Some(("ok", "Rejected.")),
        Some("withdrawn=1") => Some(("ok", "Withdrawn: the advisory is still served, marked withdrawn.")),
        _ => None,
    };
    let doc = &a.osv;
    let details = markdown::render(doc["details"].as_str().unwrap_or_default());
    let csrf = viewer.csrf().map(str::to_string);
    let body = html! {
        @if let Some((kind, text)) = flash { (notice(kind, text)) }
        @if a.withdrawn {
            (notice("warn", &format!("Withdrawn on {}: this advisory no longer applies.", date_time(doc["withdrawn"].as_str().unwrap_or_default()))))
        }
        @if a.state != "published" {
            (notice("info", &format!("This advisory is {}: only the package's owners and site admins see it.", a.state)))
        }
        (page_head(doc["summary"].as_str().unwrap_or(&a.id), Some(html! {
            code { (a.id) } " " (severity_badge(&a))
            @if a.malicious { " " span.badge.badge-warn { "malicious" } }
            @if let Some(p) = &a.package { " · " a href=(format!("/packages/{p}")) { (p) } }
        })))
        dl.advisory-facts {
            @if let Some(aliases) = doc["aliases"].as_array() {
                dt { "Aliases" } dd { @for (i, x) in aliases.iter().enumerate() { @if i > 0 { ", " } code { (x.as_str().unwrap_or_default()) } } }
            }
            @if let Some(p) = doc["published"].as_str() { dt { "Published" } dd { (date_time(p)) } }
            dt { "Modified" } dd { (date_time(doc["modified"].as_str().unwrap_or_default())) }
            @if let Some(sev) = doc["severity"].as_array() {
                dt { "CVSS" } dd { @for s in sev { code { (s["score"].as_str().unwrap_or_default()) } br; } }
            }
            dt { "Source" } dd { (a.source) " · " a href={ "/osv/v1/vulns/" (encode(&a.id)) } { "OSV JSON" } }
        }
        h2 { "Affected versions" }
        table.affected {
            thead { tr { th { "Package" } th { "Ranges" } th { "Versions" } } }
            tbody {
                @for e in doc["affected"].as_array().into_iter().flatten() {
                    tr {
                        td { (e["package"]["ecosystem"].as_str().unwrap_or_default()) " " code { (e["package"]["name"].as_str().unwrap_or_default()) } }
                        td { @for r in e["ranges"].as_array().into_iter().flatten() { (range_text(r)) br; } }
                        td { @for v in e["versions"].as_array().into_iter().flatten() { code { (v.as_str().unwrap_or_default()) } " " } }
                    }
                }
            }
        }
        @if !details.trim().is_empty() {
            h2 { "Details" }
            div.markdown { (PreEscaped(details)) }
        }
        @if let Some(refs) = doc["references"].as_array() {
            h2 { "References" }
            ul { @for r in refs { li { (r["type"].as_str().unwrap_or_default()) ": " a href=(r["url"].as_str().unwrap_or_default()) rel="nofollow noopener" { (r["url"].as_str().unwrap_or_default()) } } } }
        }
        @if let Some(credits) = doc["credits"].as_array() {
            h2 { "Credits" }
            ul { @for c in credits { li { (c["name"].as_str().unwrap_or_default()) @if let Some(t) = c["type"].as_str() { " (" (t.to_lowercase()) ")" } } } }
        }
        @if let (Some(token), true) = (&csrf, a.source == "local") {
            div.actions {
                @if a.state == "reported" {
                    form method="post" action={ (advisory_url(&a.id)) "/accept" } { (csrf_field(token)) button type="submit" { "Accept and publish" } }
                    form method="post" action={ (advisory_url(&a.id)) "/reject" } { (csrf_field(token)) button.danger type="submit" { "Reject" } }
                } @else if a.state == "published" && !a.withdrawn {
                    form method="post" action={ (advisory_url(&a.id)) "/withdraw" } {
                        (csrf_field(token))
                        input type="text" name="reason" placeholder="Why (kept in the audit log)" aria-label="Reason";
                        button.danger type="submit" { "Withdraw" }
                    }
                }
            }
        }
    };
    Ok(Page::new(viewer.chrome(), format!("{} — advisory", a.id), body).into_response())
}

fn range_text(r: &Value) -> String {
    let events: Vec<String> = r["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            e.as_object()?
                .iter()
                .next()
                .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or_default()))
        })
        .collect();
    format!("{}: {}", r["type"].as_str().unwrap_or_default(), events.join(", "))
}

/// What the report form shows again after a refusal.
#[derive(Default)]
struct Draft {
    ecosystem: String,
    package: String,
    summary: String,
    details: String,
    aliases: String,
    cvss: String,
    introduced: String,
    fixed: String,
    versions: String,
}

impl Draft {
    fn from_form(f: &FormData) -> Draft {
        Draft {
            ecosystem: f.get("ecosystem").to_string(),
            package: f.get("package").to_string(),
            summary: f.get("summary").to_string(),
            details: f.raw("details").to_string(),
            aliases: f.get("aliases").to_string(),
            cvss: f.get("cvss").to_string(),
            introduced: f.get("introduced").to_string(),
            fixed: f.get("fixed").to_string(),
            versions: f.get("versions").to_string(),
        }
    }

    fn advisory(&self) -> NewAdvisory {
        let split = |s: &str| -> Vec<String> {
            s.split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect()
        };
        let mut affected = AffectedVersions {
            ranges: Vec::new(),
            versions: split(&self.versions),
        };
        if !self.introduced.trim().is_empty() || !self.fixed.trim().is_empty() {
            let intro = self.introduced.trim();
            let mut events = vec![OsvEvent {
                introduced: Some(if intro.is_empty() { "0".into() } else { intro.into() }),
                ..Default::default()
            }];
            if !self.fixed.trim().is_empty() {
                events.push(OsvEvent {
                    fixed: Some(self.fixed.trim().into()),
                    ..Default::default()
                });
            }
            let kind = if self.ecosystem == "pypi" {
                "ECOSYSTEM"
            } else {
                "SEMVER"
            };
            affected.ranges.push(OsvRange {
                kind: kind.into(),
                events,
            });
        }
        let cvss = self.cvss.trim();
        let severity = (!cvss.is_empty())
            .then(|| OsvSeverity {
                kind: if cvss.starts_with("CVSS:4") {
                    "CVSS_V4"
                } else {
                    "CVSS_V3"
                }
                .into(),
                score: cvss.into(),
            })
            .into_iter()
            .collect();
        NewAdvisory {
            ecosystem: self.ecosystem.clone(),
            package: self.package.trim().to_string(),
            content: AdvisoryContent {
                summary: self.summary.clone(),
                details: self.details.clone(),
                aliases: split(&self.aliases),
                severity,
                affected: vec![affected],
                ..Default::default()
            },
        }
    }
}

/// `GET /advisories/report`: the report form (`?ecosystem=&package=` prefill it).
pub async fn report_form(State(_state): State<WebState>, viewer: Viewer, RawQuery(raw): RawQuery) -> WebResult {
    viewer.require_user()?;
    let pairs = query_pairs(&raw);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let draft = Draft {
        ecosystem: get("ecosystem"),
        package: get("package"),
        ..Draft::default()
    };
    Ok(render_form(&viewer, &draft, None, StatusCode::OK))
}

fn render_form(viewer: &Viewer, d: &Draft, error: Option<&str>, status: StatusCode) -> axum::response::Response {
    let token = viewer.csrf().unwrap_or_default().to_string();
    let body = html! {
        (page_head("Report a vulnerability", Some(html! {
            "Reports are seen only by the package's owners and site admins until they accept them. "
            "Owners may publish directly."
        })))
        @if let Some(e) = error { (notice("error", e)) }
        form.stacked method="post" action="/advisories/report" {
            (csrf_field(&token))
            label { "Ecosystem"
                select name="ecosystem" {
                    @for e in ["native", "npm", "cargo", "pypi"] { option value=(e) selected[d.ecosystem == e] { (e) } }
                }
            }
            label { "Package (scope/name)" input type="text" name="package" required value=(d.package); }
            label { "Summary" input type="text" name="summary" required maxlength="200" value=(d.summary); }
            label { "Details (Markdown)" textarea name="details" rows="8" { (d.details) } }
            label { "Aliases (CVE, GHSA)" input type="text" name="aliases" value=(d.aliases); }
            label { "CVSS vector (v3.1 or v4.0)" input type="text" name="cvss" value=(d.cvss) placeholder="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"; }
            label { "Introduced in (empty: from the first version)" input type="text" name="introduced" value=(d.introduced); }
            label { "Fixed in" input type="text" name="fixed" value=(d.fixed); }
            label { "Affected versions (explicit list)" input type="text" name="versions" value=(d.versions); }
            div.actions {
                button type="submit" name="publish" value="0" { "Report for review" }
                button type="submit" name="publish" value="1" { "Publish (package owners)" }
            }
        }
    };
    let mut res = Page::new(viewer.chrome(), "Report a vulnerability", body).into_response();
    *res.status_mut() = status;
    res
}

/// `POST /advisories/report`: reports (or, `publish=1`, publishes) an advisory.
pub async fn submit(State(state): State<WebState>, viewer: Viewer, form: FormData) -> WebResult {
    form.signed_in(&viewer)?;
    let draft = Draft::from_form(&form);
    let svc = state.services.advisories();
    let publish = form.get("publish") == "1";
    let result = if publish {
        svc.create_advisory(&viewer.ctx, draft.advisory()).await
    } else {
        svc.report_advisory(&viewer.ctx, draft.advisory()).await
    };
    match result {
        Ok(a) if publish => Ok(redirect(&advisory_url(&a.id))),
        Ok(a) => Ok(Page::new(
            viewer.chrome(),
            "Report received",
            html! {
                (page_head("Report received", None))
                (notice("ok", &format!("Thank you: {} waits for the package's owners to review it.", a.id)))
                p { a href="/advisories" { "Back to the advisories" } }
            },
        )
        .status(StatusCode::CREATED)
        .into_response()),
        Err(e)
            if matches!(
                e.kind,
                trove_service::ErrorKind::Unprocessable | trove_service::ErrorKind::Forbidden
            ) =>
        {
            let status = if e.kind == trove_service::ErrorKind::Forbidden {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok(render_form(&viewer, &draft, Some(&e.message), status))
        }
        Err(e) => Err(WebError::from_service(e, viewer.chrome())),
    }
}

/// `GET /advisories/reviews`: reports waiting for the viewer's review.
pub async fn reviews(State(state): State<WebState>, viewer: Viewer) -> WebResult {
    viewer.require_user()?;
    let queue = state
        .services
        .advisories()
        .review_queue(&viewer.ctx)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let token = viewer.csrf().unwrap_or_default().to_string();
    let body = html! {
        (page_head("Review queue", Some(html! { "Reported advisories of packages you manage." })))
        @if queue.is_empty() {
            p.empty { "Nothing to review." }
        } @else {
            table.advisories {
                thead { tr { th { "Report" } th { "Package" } th { "Summary" } th { "Severity" } th { "" } } }
                tbody {
                    @for a in &queue {
                        tr {
                            td { a href=(advisory_url(&a.id)) { (a.id) } }
                            td { (a.package.clone().unwrap_or_default()) }
                            td { (a.osv["summary"].as_str().unwrap_or_default()) }
                            td { (severity_badge(a)) }
                            td {
                                form method="post" action={ (advisory_url(&a.id)) "/accept" } { (csrf_field(&token)) button type="submit" { "Accept" } }
                                form method="post" action={ (advisory_url(&a.id)) "/reject" } { (csrf_field(&token)) button.danger type="submit" { "Reject" } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new(viewer.chrome(), "Review queue", body).into_response())
}

/// `POST /advisories/{id}/{accept|reject|withdraw}`.
pub async fn act(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    form: FormData,
) -> WebResult {
    form.signed_in(&viewer)?;
    let svc = state.services.advisories();
    let result = match action.as_str() {
        "accept" => svc.accept_advisory(&viewer.ctx, &id).await.map(|_| "accepted=1"),
        "reject" => svc.reject_advisory(&viewer.ctx, &id).await.map(|_| "rejected=1"),
        "withdraw" => svc
            .withdraw_advisory(&viewer.ctx, &id, form.get("reason"))
            .await
            .map(|_| "withdrawn=1"),
        _ => return Err(WebError::not_found(viewer.chrome())),
    };
    match result {
        Ok(flag) => Ok(redirect(&format!("{}?{flag}", advisory_url(&id)))),
        Err(e) => Err(WebError::from_service(e, viewer.chrome())),
    }
}
