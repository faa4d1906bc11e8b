//! `trove webhook …`: a namespace's webhooks (needs a token with the `owners` scope).

use crate::{client_error, Ctx};
use anyhow::bail;
use clap::Subcommand;
use serde_json::json;
use std::time::{Duration, Instant};
use trove_client::Delivery;

#[derive(Subcommand, Debug)]
pub enum WebhookCommand {
    /// Register a webhook; its signing secret is printed once
    Create {
        /// The user or organization whose events are sent
        scope: String,
        /// Where deliveries are POSTed (http:// or https://)
        url: String,
        /// publish, yank, delete, advisory, membership (repeatable)
        #[arg(long = "event", value_name = "EVENT", required = true)]
        events: Vec<String>,
    },
    /// List a namespace's webhooks
    List { scope: String },
    /// Delete a webhook and its delivery log
    Delete { scope: String, id: i64 },
    /// Show a webhook's latest deliveries and their attempts
    Deliveries { scope: String, id: i64 },
    /// Queue a `ping` delivery to a webhook
    Test {
        scope: String,
        id: i64,
        /// Wait (up to this many seconds) until the ping is delivered or fails
        #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = "30")]
        wait: Option<u64>,
    },
}

fn delivery_line(d: &Delivery) -> String {
    let last = d.attempts.last();
    let response = match last.and_then(|a| a.status_code) {
        Some(c) => format!("HTTP {c}"),
        None if last.is_some() => "no response".into(),
        None => "-".into(),
    };
    let when = match (&d.delivered_at, &d.next_attempt_at) {
        (Some(at), _) => format!("delivered {at}"),
        (None, Some(next)) if d.status == "pending" => format!("next try {next}"),
        _ => format!("queued {}", d.created_at),
    };
    let mut line = format!(
        "{:>6}  {:<10}  {:<9}  attempts: {}  {response}  {when}",
        d.id,
        d.event,
        d.status,
        d.attempts.len()
    );
    if let Some(e) = last.and_then(|a| a.error.as_deref()) {
        line.push_str(&format!("\n        error: {e}"));
    }
    line
}

pub async fn webhook(ctx: &Ctx, c: WebhookCommand) -> anyhow::Result<()> {
    let (client, _) = ctx.authed_client()?;
    match c {
        WebhookCommand::Create { scope, url, events } => {
            let events: Vec<String> = events
                .iter()
                .flat_map(|e| e.split(','))
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty())
                .collect();
            if events.is_empty() {
                bail!("name at least one event with --event (publish, yank, delete, advisory, membership)");
            }
            let w = client
                .create_webhook(&scope, url.trim(), &events)
                .await
                .map_err(client_error)?;
            ctx.out.emit(serde_json::to_value(&w)?, || {
                format!(
                    "Created webhook {} for `{}`: {} (events: {})\nSigning secret: {}\n\
                     This secret is shown only now. Each delivery carries \
                     X-Trove-Signature-256: sha256=<hex HMAC-SHA256 of the body with it>.",
                    w.webhook.id,
                    w.webhook.namespace,
                    w.webhook.url,
                    w.webhook.events.join(", "),
                    w.secret
                )
            });
        }
        WebhookCommand::List { scope } => {
            let list = client.list_webhooks(&scope).await.map_err(client_error)?;
            ctx.out.emit(serde_json::to_value(&list)?, || {
                if list.is_empty() {
                    return format!("(no webhooks in `{scope}`)");
                }
                list.iter()
                    .map(|w| {
                        format!(
                            "{:>5}  {}  [{}]  created {}",
                            w.id,
                            w.url,
                            w.events.join(","),
                            w.created_at
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        WebhookCommand::Delete { scope, id } => {
            client.delete_webhook(&scope, id).await.map_err(client_error)?;
            ctx.out.emit(json!({ "deleted": id, "namespace": scope }), || {
                format!("Deleted webhook {id} of `{scope}` and its delivery log")
            });
        }
        WebhookCommand::Deliveries { scope, id } => {
            let log = client.webhook_deliveries(&scope, id).await.map_err(client_error)?;
            ctx.out.emit(serde_json::to_value(&log)?, || {
                if log.is_empty() {
                    return format!("(no deliveries yet: try `trove webhook test {scope} {id}`)");
                }
                log.iter().map(delivery_line).collect::<Vec<_>>().join("\n")
            });
        }
        WebhookCommand::Test { scope, id, wait } => {
            let queued = client.test_webhook(&scope, id).await.map_err(client_error)?;
            let Some(secs) = wait else {
                ctx.out.emit(
                    json!({ "delivery_id": queued.delivery_id, "webhook": id, "namespace": scope }),
                    || {
                        format!(
                            "Queued ping delivery {} to webhook {id}; see `trove webhook deliveries {scope} {id}`",
                            queued.delivery_id
                        )
                    },
                );
                return Ok(());
            };
            ctx.out
                .status(format!("Queued ping delivery {}; waiting for it…", queued.delivery_id));
            let deadline = Instant::now() + Duration::from_secs(secs);
            let delivery = loop {
                let log = client.webhook_deliveries(&scope, id).await.map_err(client_error)?;
                let d = log.into_iter().find(|d| d.id == queued.delivery_id);
                match d {
                    Some(d) if d.status != "pending" || !d.attempts.is_empty() => break d,
                    _ if Instant::now() >= deadline => {
                        bail!("ping delivery {} was not attempted within {secs} s", queued.delivery_id)
                    }
                    _ => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            };
            ctx.out
                .emit(serde_json::to_value(&delivery)?, || delivery_line(&delivery));
            if delivery.status != "delivered" {
                bail!(
                    "the ping was not delivered (status {}); the registry retries it with backoff",
                    delivery.status
                );
            }
        }
    }
    Ok(())
}
