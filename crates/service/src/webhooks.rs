//! Webhooks: owners of a namespace register URLs that receive its events. Events are queued
//! in the database after the action commits; a background worker on any node claims due
//! deliveries with a lease, POSTs them signed with HMAC-SHA256 and retries failures with
//! exponential backoff, logging every attempt.

use crate::access::{namespace_role, Role};
use crate::{audit, Ctx, Result, ServiceError, Services};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use trove_core::DeliveryStatus;
use trove_core::{now_ms, time::rfc3339, TokenScope};
use trove_db::namespaces::Namespace;
use trove_db::webhooks::{self as repo, AttemptRecord, Webhook};
use trove_db::Conn;

sub_service!(
    /// Webhooks: subscriptions, events, deliveries.
    Webhooks,
    webhooks
);

/// Events a webhook may subscribe to.
pub const EVENTS: &[&str] = trove_wire::vocab::WEBHOOK_EVENTS;
/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 6;
/// Delay before retry n (after attempt n failed), in units of the base delay:
/// with 10 s that is 10 s, 30 s, 2 min, 10 min, 1 h.
const BACKOFF: [u64; 5] = [1, 3, 12, 60, 360];
const MAX_WEBHOOKS_PER_NAMESPACE: i64 = 20;

use trove_wire::limits::WEBHOOK_URL_MAX_LEN;
pub use trove_wire::{
    Delivery as DeliveryView, DeliveryAttempt as AttemptView, NewWebhook, Webhook as WebhookView,
    WebhookCreated as CreatedWebhook,
};

fn view(ns: &Namespace, w: &Webhook) -> WebhookView {
    WebhookView {
        id: w.id,
        namespace: ns.name.clone(),
        url: w.url.clone(),
        events: w.events.clone(),
        created_at: rfc3339(w.created_at),
    }
}

fn validate_url(url: &str, allow_private: bool) -> Result<()> {
    let bad = |m: &str| ServiceError::unprocessable("invalid_url", m.to_string());
    if url.len() > WEBHOOK_URL_MAX_LEN {
        return Err(bad(&format!("the URL is longer than {WEBHOOK_URL_MAX_LEN} characters")));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(&format!("`{url}` is not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("the URL must be http:// or https:// with a host"));
    }
    if !allow_private && !public_host(&parsed) {
        return Err(bad("the URL points at a loopback, private or link-local address; \
             set webhooks.allow_private_targets = true to allow internal receivers"));
    }
    Ok(())
}

/// Whether a URL's host may be a webhook target when private targets are not allowed:
/// not `localhost`, and not a literal non-public IP. Names are checked again when they are
/// resolved for each delivery (see [`PublicOnlyResolver`]).
fn public_host(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => is_public_ip(ip),
        Err(_) => {
            let d = bare.trim_end_matches('.').to_ascii_lowercase();
            d != "localhost" && !d.ends_with(".localhost")
        }
    }
}

/// Not loopback, private, link-local (cloud metadata lives there), shared (CGNAT),
/// unspecified, broadcast, multicast or documentation space; IPv4-mapped IPv6 is unwrapped.
pub fn is_public_ip(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_ip(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

/// Resolves delivery hosts and drops non-public addresses, so a name that resolves (or
/// re-resolves, DNS rebinding) to an internal address is never connected to.
struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public_ip(a.ip()))
                .collect();
            if addrs.is_empty() {
                let e: Box<dyn std::error::Error + Send + Sync> =
                    format!("`{host}` resolves to no public address (private targets are not allowed)").into();
                return Err(e);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

fn validate_events(events: &[String]) -> Result<Vec<String>> {
    if events.is_empty() {
        return Err(ServiceError::unprocessable(
            "invalid_events",
            format!("name at least one event: {}", EVENTS.join(", ")),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for e in events {
        if !EVENTS.contains(&e.as_str()) {
            return Err(ServiceError::unprocessable(
                "invalid_events",
                format!("unknown event `{e}`: use {}", EVENTS.join(", ")),
            ));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    Ok(out)
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("hmac takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Webhooks<'_> {
    /// The namespace whose webhooks the caller manages: owners of a user namespace, owners
    /// and admins of an organization, site admins. Others get 404 (403 for members with a
    /// smaller role).
    async fn webhook_namespace(&self, conn: &mut Conn, ctx: &Ctx, scope: &str) -> Result<Namespace> {
        let p = ctx.require_scope(TokenScope::Owners)?;
        let not_found = || ServiceError::not_found(format!("namespace `{scope}` not found"));
        let ns = trove_db::namespaces::find(conn, scope).await?.ok_or_else(not_found)?;
        let role = if p.user.admin() {
            Some(Role::Owner)
        } else {
            namespace_role(conn, &p.user, &ns).await?
        };
        match role {
            None => Err(not_found()),
            Some(r) if r < Role::Admin => Err(ServiceError::forbidden(format!(
                "only owners and admins of `{}` manage its webhooks",
                ns.name
            ))),
            Some(_) => Ok(ns),
        }
    }

    async fn find_webhook(&self, conn: &mut Conn, ns: &Namespace, id: i64) -> Result<Webhook> {
        repo::find(conn, ns.id, id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("webhook {id} not found in `{}`", ns.name)))
    }

    pub async fn list_webhooks(&self, ctx: &Ctx, scope: &str) -> Result<Vec<WebhookView>> {
        let mut conn = self.db.conn().await?;
        let ns = self.webhook_namespace(&mut conn, ctx, scope).await?;
        Ok(repo::list(&mut conn, ns.id)
            .await?
            .iter()
            .map(|w| view(&ns, w))
            .collect())
    }

    /// Registers a webhook; the generated secret is returned once.
    pub async fn create_webhook(&self, ctx: &Ctx, scope: &str, req: NewWebhook) -> Result<CreatedWebhook> {
        validate_url(&req.url, self.config.webhook_allow_private)?;

        let events = validate_events(&req.events)?;
        let secret = crate::auth::random_secret(32);
        let now = now_ms();
        let mut tx = self.db.write().await?;
        let ns = self.webhook_namespace(&mut tx, ctx, scope).await?;
        if repo::count(&mut tx, ns.id).await? >= MAX_WEBHOOKS_PER_NAMESPACE {
            return Err(ServiceError::conflict(
                "too_many_webhooks",
                format!("`{}` already has {MAX_WEBHOOKS_PER_NAMESPACE} webhooks", ns.name),
            ));
        }
        let id = repo::insert(
            &mut tx,
            ns.id,
            &req.url,
            &secret,
            &events,
            ctx.user().map(|u| u.id),
            now,
        )
        .await?;
        audit::record(
            &mut tx,
            ctx,
            "webhook.create",
            &format!("{}:webhook/{id}", ns.name),
            Some(ns.id),
            serde_json::json!({ "url": req.url, "events": events }),
        )
        .await?;
        let w = repo::find(&mut tx, ns.id, id)
            .await?
            .ok_or_else(|| ServiceError::internal("webhook vanished"))?;
        tx.commit().await?;
        Ok(CreatedWebhook {
            webhook: view(&ns, &w),
            secret,
        })
    }

    /// Deletes a webhook with its delivery log.
    pub async fn delete_webhook(&self, ctx: &Ctx, scope: &str, id: i64) -> Result<()> {
        let mut tx = self.db.write().await?;
        let ns = self.webhook_namespace(&mut tx, ctx, scope).await?;
        let w = self.find_webhook(&mut tx, &ns, id).await?;
        repo::delete(&mut tx, w.id).await?;
        audit::record(
            &mut tx,
            ctx,
            "webhook.delete",
            &format!("{}:webhook/{id}", ns.name),
            Some(ns.id),
            serde_json::json!({ "url": w.url }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The latest 50 deliveries, newest first, each with its attempts.
    pub async fn webhook_deliveries(&self, ctx: &Ctx, scope: &str, id: i64) -> Result<Vec<DeliveryView>> {
        let mut conn = self.db.conn().await?;
        let ns = self.webhook_namespace(&mut conn, ctx, scope).await?;
        let w = self.find_webhook(&mut conn, &ns, id).await?;
        let deliveries = repo::deliveries(&mut conn, w.id, 50).await?;
        let min_id = deliveries.iter().map(|d| d.id).min().unwrap_or(i64::MAX);
        let attempts = repo::attempts(&mut conn, w.id, min_id).await?;
        Ok(deliveries
            .into_iter()
            .map(|d| DeliveryView {
                id: d.id,
                event: d.event,
                next_attempt_at: (d.status == DeliveryStatus::Pending).then(|| rfc3339(d.next_attempt_at)),
                status: d.status.to_string(),
                created_at: rfc3339(d.created_at),
                delivered_at: d.delivered_at.map(rfc3339),
                payload: serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null),
                // Attempts are read after the deliveries: one recorded in between belongs to
                // a newer state than the status read, so only those the row counts are shown
                // (a consistent view: "pending" never comes with the attempt that ended it).
                attempts: attempts
                    .iter()
                    .filter(|a| a.delivery_id == d.id && a.attempt <= d.attempts)
                    .map(|a| AttemptView {
                        attempt: a.attempt,
                        at: rfc3339(a.at),
                        status_code: a.status_code,
                        error: a.error.clone(),
                        duration_ms: a.duration_ms,
                    })
                    .collect(),
            })
            .collect())
    }

    /// Queues a `ping` delivery to the webhook; returns its delivery id.
    pub async fn test_webhook(&self, ctx: &Ctx, scope: &str, id: i64) -> Result<i64> {
        let mut tx = self.db.write().await?;
        let ns = self.webhook_namespace(&mut tx, ctx, scope).await?;
        let w = self.find_webhook(&mut tx, &ns, id).await?;
        let now = now_ms();
        let payload = payload(
            ctx,
            "ping",
            &ns.name,
            None,
            None,
            now,
            serde_json::json!({ "webhook": w.id }),
        );
        let delivery = repo::enqueue(&mut tx, w.id, "ping", &payload, now).await?;
        tx.commit().await?;
        self.webhook_wake.notify_one();
        Ok(delivery)
    }

    /// Queues `event` for every webhook of the namespace subscribed to it. Called after the
    /// action committed; a failure here is logged and never fails the action.
    pub(crate) async fn emit_event(
        &self,
        ctx: &Ctx,
        namespace_id: i64,
        event: &str,
        package: Option<&str>,
        version: Option<&str>,
        data: serde_json::Value,
    ) {
        let res = async {
            let hooks: Vec<Webhook> = {
                let mut conn = self.db.conn().await?;
                repo::list(&mut conn, namespace_id)
                    .await?
                    .into_iter()
                    .filter(|w| w.events.iter().any(|e| e == event))
                    .collect()
            };
            if hooks.is_empty() {
                return Ok::<_, ServiceError>(0);
            }
            let mut tx = self.db.write().await?;
            let ns = trove_db::namespaces::find_by_id(&mut tx, namespace_id)
                .await?
                .ok_or_else(|| ServiceError::internal("namespace vanished"))?;
            let now = now_ms();
            let body = payload(ctx, event, &ns.name, package, version, now, data);
            for w in &hooks {
                repo::enqueue(&mut tx, w.id, event, &body, now).await?;
            }
            tx.commit().await?;
            Ok(hooks.len())
        }
        .await;
        match res {
            Ok(0) => {}
            Ok(n) => {
                tracing::debug!(event, webhooks = n, "webhook deliveries queued");
                self.webhook_wake.notify_one();
            }
            Err(e) => tracing::error!(error = %e, event, namespace_id, "queueing webhook deliveries failed"),
        }
    }
}

impl Services {
    /// The delivery worker: runs until `stop` changes. Every node may run one.
    pub async fn run_webhook_worker(self, mut stop: watch::Receiver<bool>) {
        let mut builder = reqwest::Client::builder();
        if !self.config.webhook_allow_private {
            builder = builder.dns_resolver(std::sync::Arc::new(PublicOnlyResolver));
        }
        let client = match builder
            .timeout(Duration::from_millis(self.config.webhook_timeout_ms.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("trove-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "webhook worker cannot build its HTTP client");
                return;
            }
        };
        let poll = Duration::from_millis(self.config.webhook_retry_base_ms.clamp(10, 1000));
        let mut tick = tokio::time::interval(poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = self.webhook_wake.notified() => {}
                _ = stop.changed() => break,
            }
            loop {
                match self.deliver_due_webhooks(&client).await {
                    Ok(0) => break,
                    Ok(_) if *stop.borrow() => break,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "webhook delivery pass failed; will retry");
                        break;
                    }
                }
            }
        }
    }

    /// One pass: claims due deliveries and attempts them concurrently. Returns how many.
    pub async fn deliver_due_webhooks(&self, client: &reqwest::Client) -> Result<usize> {
        let now = now_ms();
        let due = {
            let mut conn = self.db.conn().await?;
            repo::due(&mut conn, now, 16).await?
        };
        // A claim outlives the request timeout; a node that dies mid-delivery releases it
        // by expiry and another node retries.
        let lease = now + self.config.webhook_timeout_ms as i64 + 60_000;
        let mut claimed = Vec::new();
        for id in due {
            let mut tx = self.db.write().await?;
            let ok = repo::claim(&mut tx, id, now, lease).await?;
            tx.commit().await?;
            if ok {
                claimed.push(id);
            }
        }
        let n = claimed.len();
        let results = futures::future::join_all(claimed.into_iter().map(|id| self.attempt_delivery(client, id))).await;
        for r in results {
            r?;
        }
        Ok(n)
    }

    async fn attempt_delivery(&self, client: &reqwest::Client, id: i64) -> Result<()> {
        let (d, w) = {
            let mut conn = self.db.conn().await?;
            let Some(d) = repo::find_delivery(&mut conn, id).await? else {
                return Ok(());
            };
            let Some(w) = repo::find_by_id(&mut conn, d.webhook_id).await? else {
                return Ok(());
            };
            (d, w)
        };
        let attempt = d.attempts + 1;
        let started = Instant::now();
        let at = now_ms();
        let res = client
            .post(&w.url)
            .header("content-type", "application/json")
            .header("x-trove-event", &d.event)
            .header("x-trove-delivery", d.id.to_string())
            .header("x-trove-signature-256", signature(&w.secret, d.payload.as_bytes()))
            .body(d.payload.clone())
            .send()
            .await;
        let duration_ms = started.elapsed().as_millis() as i64;
        let (status_code, error) = match &res {
            Ok(r) => (Some(r.status().as_u16() as i64), None),
            Err(e) => (None, Some(error_text(e))),
        };
        let delivered = res.as_ref().is_ok_and(|r| r.status().is_success());
        let now = now_ms();
        let (status, next, delivered_at) = if delivered {
            (DeliveryStatus::Delivered, now, Some(now))
        } else if attempt >= MAX_ATTEMPTS {
            (DeliveryStatus::Failed, now, None)
        } else {
            let step = BACKOFF[(attempt as usize - 1).min(BACKOFF.len() - 1)];
            let delay = self.config.webhook_retry_base_ms.saturating_mul(step) as i64;
            (DeliveryStatus::Pending, now + delay, None)
        };
        tracing::info!(
            delivery = d.id,
            webhook = w.id,
            event = %d.event,
            attempt,
            status_code,
            error = error.as_deref(),
            duration_ms,
            outcome = status.as_str(),
            "webhook delivery attempt"
        );
        let mut tx = self.db.write().await?;
        // The webhook may have been deleted meanwhile, its log with it.
        if repo::find_delivery(&mut tx, d.id).await?.is_none() {
            return Ok(());
        }
        repo::record_attempt(
            &mut tx,
            AttemptRecord {
                delivery_id: d.id,
                attempt,
                at,
                status_code,
                error: error.as_deref(),
                duration_ms,
            },
            status,
            next,
            delivered_at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn error_text(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut msg = format!("{kind}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg.chars().take(500).collect()
}

fn payload(
    ctx: &Ctx,
    event: &str,
    namespace: &str,
    package: Option<&str>,
    version: Option<&str>,
    at: i64,
    data: serde_json::Value,
) -> String {
    let body = trove_wire::DeliveryPayload {
        event: event.to_string(),
        namespace: namespace.to_string(),
        package: package.map(str::to_string),
        version: version.map(str::to_string),
        actor: ctx.user().map(|u| u.username.clone()),
        at: rfc3339(at),
        data,
    };
    serde_json::to_string(&body).expect("a payload serializes")
}

#[cfg(test)]
mod ssrf_tests {
    use super::*;
    use reqwest::dns::Resolve;

    #[test]
    fn public_and_private_addresses() {
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "100.63.0.1"] {
            assert!(is_public_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd12::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn names_resolving_to_private_addresses_are_never_connected_to() {
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let err = PublicOnlyResolver.resolve(name).await.err().expect("refused");
        assert!(err.to_string().contains("no public address"), "{err}");
    }
}
