//! Webhooks in the dashboard: per namespace the viewer manages (their own, and organizations
//! where the service lets them), list webhooks with their latest delivery, create one (the
//! signing secret is shown once), send a test ping, delete, and read the delivery log.
//!
//! Who may manage which namespace is decided by the service (`list_webhooks` and friends),
//! never here: the index only shows the namespaces for which the service answers.

use crate::error::{redirect, WebError, WebResult};
use crate::fmt::{date_time, encode, time_ago};
use crate::form::FormData;
use crate::layout::{csrf_field, dashboard_tabs, notice, page_head, Page};
use crate::session::Viewer;
use crate::WebState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use trove_service::webhooks::{CreatedWebhook, DeliveryView, NewWebhook, WebhookView, EVENTS};
use trove_service::{ErrorKind, ServiceError};

/// What each event means, for the checkboxes.
fn event_hint(e: &str) -> &'static str {
    match e {
        "publish" => "a version is published",
        "yank" => "a version is yanked or unyanked",
        "delete" => "a version or package is deleted",
        "advisory" => "an advisory is published",
        "membership" => "an organization's members change",
        _ => "",
    }
}

/// What the create form shows again after a refusal.
#[derive(Default)]
struct Draft {
    namespace: String,
    url: String,
    events: Vec<String>,
}

/// One namespace's webhooks, each with its newest delivery.
struct Section {
    namespace: String,
    hooks: Vec<(WebhookView, Option<DeliveryView>)>,
}

fn flash(raw: &Option<String>) -> Option<(&'static str, &'static str)> {
    match raw.as_deref() {
        Some("deleted=1") => Some(("ok", "Webhook deleted, with its delivery log.")),
        Some("tested=1") => Some((
            "ok",
            "A ping delivery was queued. It is sent in a moment: reload this page to see the result.",
        )),
        _ => None,
    }
}

fn hooks_url(scope: &str) -> String {
    format!("/dashboard/webhooks/{}", encode(scope))
}

fn hook_url(scope: &str, id: i64) -> String {
    format!("/dashboard/webhooks/{}/{id}", encode(scope))
}

/// The status to answer a refused form with, and whether the page can show it inline.
fn inline_status(e: &ServiceError) -> Option<StatusCode> {
    match e.kind {
        ErrorKind::Unprocessable | ErrorKind::BadRequest => Some(StatusCode::UNPROCESSABLE_ENTITY),
        ErrorKind::Conflict => Some(StatusCode::CONFLICT),
        _ => None,
    }
}

/// `GET /dashboard/webhooks`: every namespace the viewer manages webhooks for.
pub async fn index(State(state): State<WebState>, viewer: Viewer, RawQuery(raw): RawQuery) -> WebResult {
    viewer.require_user()?;
    render(
        &state,
        &viewer,
        None,
        None,
        Draft::default(),
        flash(&raw),
        StatusCode::OK,
    )
    .await
}

/// `GET /dashboard/webhooks/{scope}`: one namespace (the service answers 404 or 403 when the
/// viewer may not manage it).
pub async fn namespace(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(scope): Path<String>,
    RawQuery(raw): RawQuery,
) -> WebResult {
    viewer.require_user()?;
    let draft = Draft {
        namespace: scope.clone(),
        ..Draft::default()
    };
    render(&state, &viewer, Some(&scope), None, draft, flash(&raw), StatusCode::OK).await
}

/// `POST /dashboard/webhooks`: registers a webhook; the page shows its secret once.
pub async fn create(State(state): State<WebState>, viewer: Viewer, form: FormData) -> WebResult {
    form.signed_in(&viewer)?;
    let draft = Draft {
        namespace: form.get("namespace").to_string(),
        url: form.get("url").to_string(),
        events: form.all("events").into_iter().map(str::to_string).collect(),
    };
    // The page it came from: one namespace's, or the index.
    let only = (form.get("from") == "namespace").then(|| draft.namespace.clone());
    if draft.namespace.is_empty() {
        let msg = "Choose the namespace whose events the webhook receives.";
        return render(
            &state,
            &viewer,
            only.as_deref(),
            None,
            draft,
            Some(("error", msg)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let req = NewWebhook {
        url: draft.url.clone(),
        events: draft.events.clone(),
    };
    match state
        .services
        .webhooks()
        .create_webhook(&viewer.ctx, &draft.namespace, req)
        .await
    {
        Ok(created) => {
            let keep = Draft {
                namespace: draft.namespace.clone(),
                ..Draft::default()
            };
            render(
                &state,
                &viewer,
                only.as_deref(),
                Some(created),
                keep,
                None,
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) => match inline_status(&e) {
            Some(status) => {
                let msg = e.message;
                render(
                    &state,
                    &viewer,
                    only.as_deref(),
                    None,
                    draft,
                    Some(("error", &msg)),
                    status,
                )
                .await
            }
            None => Err(WebError::from_service(e, viewer.chrome())),
        },
    }
}

/// A webhook id from the path; anything else is a 404 page.
fn parse_id(viewer: &Viewer, id: &str) -> Result<i64, WebError> {
    id.parse::<i64>().map_err(|_| WebError::not_found(viewer.chrome()))
}

/// `POST /dashboard/webhooks/{scope}/{id}/test`: queues a ping.
pub async fn test(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((scope, id)): Path<(String, String)>,
    form: FormData,
) -> WebResult {
    form.signed_in(&viewer)?;
    let id = parse_id(&viewer, &id)?;
    state
        .services
        .webhooks()
        .test_webhook(&viewer.ctx, &scope, id)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    Ok(redirect(&format!("{}?tested=1", hook_url(&scope, id))))
}

/// `POST /dashboard/webhooks/{scope}/{id}/delete`: needs the confirmation box ticked.
pub async fn delete(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((scope, id)): Path<(String, String)>,
    form: FormData,
) -> WebResult {
    form.signed_in(&viewer)?;
    let id = parse_id(&viewer, &id)?;
    if form.get("confirm") != "yes" {
        // Still ask the service first, so a webhook the viewer may not see stays a 404.
        state
            .services
            .webhooks()
            .webhook_deliveries(&viewer.ctx, &scope, id)
            .await
            .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
        let msg = "Tick the box to confirm that the webhook and its delivery log should be deleted.";
        return deliveries_page(
            &state,
            &viewer,
            &scope,
            id,
            Some(("error", msg)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    state
        .services
        .webhooks()
        .delete_webhook(&viewer.ctx, &scope, id)
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    Ok(redirect(&format!("{}?deleted=1", hooks_url(&scope))))
}

/// `GET /dashboard/webhooks/{scope}/{id}`: the webhook and its latest deliveries.
pub async fn deliveries(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((scope, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> WebResult {
    viewer.require_user()?;
    let id = parse_id(&viewer, &id)?;
    deliveries_page(&state, &viewer, &scope, id, flash(&raw), StatusCode::OK).await
}

/// Loads a namespace's webhooks with their newest delivery.
async fn section(state: &WebState, viewer: &Viewer, scope: &str) -> Result<Section, ServiceError> {
    let svc = &state.services;
    let list = svc.webhooks().list_webhooks(&viewer.ctx, scope).await?;
    let mut hooks = Vec::with_capacity(list.len());
    for w in list {
        let last = svc
            .webhooks()
            .webhook_deliveries(&viewer.ctx, scope, w.id)
            .await?
            .into_iter()
            .next();
        hooks.push((w, last));
    }
    Ok(Section {
        namespace: list_name(scope, &hooks),
        hooks,
    })
}

/// The namespace's canonical name (as the service spells it) when a webhook shows it.
fn list_name(scope: &str, hooks: &[(WebhookView, Option<DeliveryView>)]) -> String {
    hooks
        .first()
        .map(|(w, _)| w.namespace.clone())
        .unwrap_or_else(|| scope.to_string())
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &WebState,
    viewer: &Viewer,
    only: Option<&str>,
    created: Option<CreatedWebhook>,
    draft: Draft,
    msg: Option<(&str, &str)>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let user = viewer.require_user()?;
    let chrome = || viewer.chrome();
    let mut sections = Vec::new();
    match only {
        Some(scope) => {
            // One namespace: the service's refusal (404/403) is the page.
            sections.push(
                section(state, viewer, scope)
                    .await
                    .map_err(|e| WebError::from_service(e, chrome()))?,
            );
        }
        None => {
            let mut candidates = vec![user.username.clone()];
            let orgs = state
                .services
                .orgs()
                .orgs_of(user.id)
                .await
                .map_err(|e| WebError::from_service(e, chrome()))?;
            candidates.extend(orgs.into_iter().map(|(org, _)| org));
            for scope in candidates {
                match section(state, viewer, &scope).await {
                    Ok(s) => sections.push(s),
                    // Namespaces the service does not let the viewer manage are left out.
                    Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::NotFound) => {}
                    Err(e) => return Err(WebError::from_service(e, chrome())),
                }
            }
        }
    }
    let csrf = viewer.csrf().unwrap_or_default();
    let chosen = if draft.namespace.is_empty() {
        user.username.clone()
    } else {
        draft.namespace.clone()
    };
    let checked = |e: &str| {
        if draft.events.is_empty() && draft.url.is_empty() {
            e == "publish"
        } else {
            draft.events.iter().any(|x| x == e)
        }
    };
    let title = match only {
        Some(scope) => format!("Webhooks of {scope}"),
        None => "Webhooks".to_string(),
    };
    let body = html! {
        (page_head(&title, Some(html! {
            "Webhooks POST a signed JSON message to your server when something happens in a namespace."
            @if only.is_some() { " " a href="/dashboard/webhooks" { "All your namespaces" } }
        })))
        (dashboard_tabs("webhooks", user.admin()))
        @if let Some((kind, text)) = msg { (notice(kind, text)) }
        @if let Some(c) = &created { (created_box(c)) }
        div.dash-layout {
            div.stack {
                @if sections.is_empty() {
                    section.card { p.empty { "You manage no namespace's webhooks." } }
                }
                @for s in &sections { (section_card(s, csrf)) }
            }
            @if !sections.is_empty() {
                section.card aria-labelledby="new-hook-title" {
                    h2 #new-hook-title { "Add a webhook" }
                    form.stack action="/dashboard/webhooks" method="post" {
                        (csrf_field(csrf))
                        @if only.is_some() { input type="hidden" name="from" value="namespace"; }
                        div.field {
                            label for="hook-namespace" { "Namespace" }
                            select #hook-namespace name="namespace" {
                                @for s in &sections {
                                    option value=(s.namespace) selected[s.namespace == chosen] { (s.namespace) }
                                }
                            }
                        }
                        div.field {
                            label for="hook-url" { "Payload URL" }
                            input #hook-url type="url" name="url" value=(draft.url) required maxlength="2000"
                                placeholder="https://ci.example.com/trove-hook" autocapitalize="none" spellcheck="false"
                                aria-describedby="hook-url-hint";
                            p.hint #hook-url-hint { "http:// or https://. Internal addresses are refused unless the registry allows them." }
                        }
                        fieldset.field {
                            legend { "Events" }
                            @for e in EVENTS {
                                div.check {
                                    input id={ "event-" (e) } type="checkbox" name="events" value=(e) checked[checked(e)];
                                    label for={ "event-" (e) } { strong { (e) } span.muted { " — " (event_hint(e)) } }
                                }
                            }
                        }
                        button.btn.btn-primary type="submit" { "Add webhook" }
                    }
                }
            }
        }
    };
    Ok(Page::new(viewer.chrome(), title, body).status(status).into_response())
}

fn delivery_badge(d: &DeliveryView) -> Markup {
    let class = match d.status.as_str() {
        "delivered" => "badge badge-ok",
        "failed" => "badge badge-private",
        _ => "badge badge-warn",
    };
    html! { span class=(class) { (d.status) } }
}

fn section_card(s: &Section, csrf: &str) -> Markup {
    let id = format!("ns-{}", s.namespace);
    html! {
        section.card aria-labelledby=(id) {
            div.section-head {
                h2 id=(id) { (s.namespace) " " span.count { (s.hooks.len()) } }
                a.small href=(hooks_url(&s.namespace)) { "Only this namespace" }
            }
            @if s.hooks.is_empty() {
                p.empty { "No webhooks yet." }
            } @else {
                div.table-wrap {
                    table.table {
                        thead {
                            tr {
                                th scope="col" { "URL" }
                                th scope="col" { "Events" }
                                th scope="col" { "Last delivery" }
                                th scope="col" { span.sr-only { "Actions" } }
                            }
                        }
                        tbody {
                            @for (w, last) in &s.hooks {
                                tr {
                                    th scope="row" {
                                        a.hook-url href=(hook_url(&s.namespace, w.id)) { (w.url) }
                                        br; span.muted.small { "#" (w.id) " · active · created " (time_ago(&w.created_at)) }
                                    }
                                    td { @for e in &w.events { span.badge { (e) } " " } }
                                    td {
                                        @match last {
                                            Some(d) => {
                                                (delivery_badge(d)) " "
                                                span.small { (d.event) " · " (time_ago(&d.created_at)) }
                                                @if let Some(code) = d.attempts.last().and_then(|a| a.status_code) {
                                                    " " span.small.muted { "HTTP " (code) }
                                                }
                                            },
                                            None => span.muted { "none yet" },
                                        }
                                    }
                                    td.actions {
                                        form.inline action={ (hook_url(&s.namespace, w.id)) "/test" } method="post" {
                                            (csrf_field(csrf))
                                            button.btn.btn-small type="submit" aria-label={ "Send a test ping to " (w.url) } { "Test" }
                                        }
                                        " "
                                        a.btn.btn-small href=(hook_url(&s.namespace, w.id)) aria-label={ "Deliveries of " (w.url) } { "Deliveries" }
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

fn created_box(c: &CreatedWebhook) -> Markup {
    html! {
        section.card.token-created role="status" aria-labelledby="created-title" {
            h2 #created-title { "Webhook created for " (c.webhook.namespace) }
            p { "Deliveries to " code { (c.webhook.url) } " are signed with this secret." }
            p { strong { "Copy it now: it will not be shown again." } }
            label.sr-only for="new-secret" { "The webhook's signing secret" }
            input #new-secret.token-value type="text" readonly value=(c.secret) spellcheck="false" autocomplete="off"
                data-copy data-copy-label="secret";
            p.hint {
                "Each delivery carries " code { "X-Trove-Signature-256: sha256=…" } ", the hex HMAC-SHA256 of the body "
                "with this secret. Compare it in constant time before trusting the message."
            }
        }
    }
}

async fn deliveries_page(
    state: &WebState,
    viewer: &Viewer,
    scope: &str,
    id: i64,
    msg: Option<(&str, &str)>,
    status: StatusCode,
) -> WebResult {
    let user = viewer.require_user()?;
    let svc = &state.services;
    let chrome = || viewer.chrome();
    let hooks = svc
        .webhooks()
        .list_webhooks(&viewer.ctx, scope)
        .await
        .map_err(|e| WebError::from_service(e, chrome()))?;
    let hook = hooks
        .into_iter()
        .find(|w| w.id == id)
        .ok_or_else(|| WebError::not_found(chrome()))?;
    let log = svc
        .webhooks()
        .webhook_deliveries(&viewer.ctx, scope, id)
        .await
        .map_err(|e| WebError::from_service(e, chrome()))?;
    let csrf = viewer.csrf().unwrap_or_default();
    let base = hook_url(&hook.namespace, hook.id);
    let title = format!("Webhook #{} of {}", hook.id, hook.namespace);
    let body = html! {
        p.back-link { a href=(hooks_url(&hook.namespace)) { "← Webhooks of " (hook.namespace) } }
        (page_head(&title, Some(html! { code.hook-url { (hook.url) } })))
        (dashboard_tabs("webhooks", user.admin()))
        @if let Some((kind, text)) = msg { (notice(kind, text)) }
        div.dash-layout {
            section.card aria-labelledby="log-title" {
                h2 #log-title { "Latest deliveries " span.count { (log.len()) } }
                @if log.is_empty() {
                    p.empty { "Nothing was delivered yet. Send a test ping to try the receiver." }
                } @else {
                    div.table-wrap {
                        table.table.deliveries {
                            thead {
                                tr {
                                    th scope="col" { "Delivery" }
                                    th scope="col" { "Status" }
                                    th scope="col" { "Attempts" }
                                    th scope="col" { "Response" }
                                    th scope="col" { "Queued" }
                                    th scope="col" { "Delivered / next try" }
                                }
                            }
                            tbody {
                                @for d in &log { (delivery_rows(d)) }
                            }
                        }
                    }
                }
            }
            aside.stack {
                section.card aria-labelledby="hook-title" {
                    h2 #hook-title { "Settings" }
                    dl.facts {
                        dt { "URL" } dd { code.hook-url { (hook.url) } }
                        dt { "Events" } dd { @for e in &hook.events { span.badge { (e) } " " } }
                        dt { "Created" } dd { (time_ago(&hook.created_at)) }
                        dt { "Status" } dd { "active" }
                    }
                    form.inline action={ (base) "/test" } method="post" {
                        (csrf_field(csrf))
                        button.btn.btn-primary type="submit" { "Send a test ping" }
                    }
                }
                section.card aria-labelledby="delete-title" {
                    h2 #delete-title { "Delete" }
                    details.mv-delete {
                        summary.btn.btn-small.btn-danger { "Delete this webhook…" }
                        form.stack action={ (base) "/delete" } method="post" {
                            (csrf_field(csrf))
                            div.check {
                                input #delete-confirm type="checkbox" name="confirm" value="yes" required;
                                label for="delete-confirm" {
                                    "Stop sending events to " (hook.url) " and delete its delivery log."
                                }
                            }
                            button.btn.btn-small.btn-danger type="submit" { "Delete webhook" }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new(viewer.chrome(), title, body).status(status).into_response())
}

fn delivery_rows(d: &DeliveryView) -> Markup {
    let last = d.attempts.last();
    html! {
        tr {
            th scope="row" { "#" (d.id) br; span.badge { (d.event) } }
            td { (delivery_badge(d)) }
            td.num { (d.attempts.len()) }
            td {
                @match last.and_then(|a| a.status_code) {
                    Some(code) => { "HTTP " (code) },
                    None => span.muted { "—" },
                }
                @if let Some(a) = last { br; span.muted.small { (a.duration_ms) " ms" } }
            }
            td { (time_ago(&d.created_at)) }
            td {
                @if let Some(at) = &d.delivered_at {
                    (time_ago(at))
                } @else if let Some(next) = &d.next_attempt_at {
                    span.small { "next try " (date_time(next)) }
                } @else {
                    span.muted { "—" }
                }
            }
        }
        @if let Some(err) = last.and_then(|a| a.error.as_deref()) {
            tr.delivery-error {
                td colspan="6" { span.small { strong { "Error: " } (err) } }
            }
        }
        @if d.attempts.len() > 1 {
            tr.delivery-attempts {
                td colspan="6" {
                    details {
                        summary.small { "All " (d.attempts.len()) " attempts" }
                        ol.small {
                            @for a in &d.attempts {
                                li {
                                    (date_time(&a.at)) " · "
                                    @match a.status_code { Some(c) => { "HTTP " (c) }, None => "no response" }
                                    " · " (a.duration_ms) " ms"
                                    @if let Some(e) = &a.error { " · " (e) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
