//! `trove retention …` (a namespace's retention policy; needs the `owners` scope) and
//! `trove usage` (a namespace's storage use and quota).

use crate::output::human_bytes;
use crate::{client_error, Ctx};
use clap::{Args, Subcommand};
use serde_json::json;
use trove_client::{RetentionReport, RetentionRules, StorageUsage};

#[derive(Subcommand, Debug)]
pub enum RetentionCommand {
    /// Show a namespace's retention policy
    Show {
        /// The user or organization
        scope: String,
    },
    /// Set (replace) a namespace's retention policy; a version goes only when every rule given
    /// condemns it
    Set(SetArgs),
    /// Remove a namespace's retention policy
    Clear {
        /// The user or organization
        scope: String,
    },
    /// List what applying the policy now would delete, deleting nothing
    Preview {
        /// The user or organization
        scope: String,
    },
    /// Apply the policy now, then reclaim the freed storage
    Apply {
        /// The user or organization
        scope: String,
    },
}

#[derive(Args, Debug)]
pub struct SetArgs {
    /// The user or organization
    pub scope: String,
    /// Keep this many newest versions (tags) of each package (repository)
    #[arg(long, value_name = "N")]
    pub keep_last: Option<i64>,
    /// Delete only versions (tags) older than this many days
    #[arg(long, value_name = "DAYS")]
    pub max_age_days: Option<i64>,
    /// Only versions (tags) matching this glob (`*` matches any run of characters)
    #[arg(long, value_name = "GLOB")]
    pub pattern: Option<String>,
    /// Also delete OCI manifests that no tag, index or subject keeps
    #[arg(long)]
    pub delete_untagged: bool,
}

#[derive(Args, Debug)]
pub struct UsageArgs {
    /// The user or organization
    pub scope: String,
}

fn report_text(r: &RetentionReport) -> String {
    let mut lines = Vec::new();
    let verb = if r.dry_run { "Would delete" } else { "Deleted" };
    if r.deleted.is_empty() {
        lines.push(format!("{verb} nothing in `{}`", r.namespace));
    } else {
        lines.push(format!("{verb} {} in `{}`:", r.deleted.len(), r.namespace));
        for i in &r.deleted {
            lines.push(format!(
                "  {} {} {} ({})",
                i.kind,
                i.package,
                i.name,
                human_bytes(i.size.max(0) as u64)
            ));
        }
    }
    for i in &r.protected {
        lines.push(format!(
            "  kept {} {}: another version depends on it",
            i.package, i.name
        ));
    }
    for note in &r.notes {
        lines.push(format!("  note: {note}"));
    }
    if !r.dry_run {
        lines.push(format!("Reclaimed {}", human_bytes(r.bytes_reclaimed.max(0) as u64)));
    }
    lines.join("\n")
}

pub async fn retention(ctx: &Ctx, c: RetentionCommand) -> anyhow::Result<()> {
    let (client, _) = ctx.authed_client()?;
    match c {
        RetentionCommand::Show { scope } => {
            let p = client.retention_policy(&scope).await.map_err(client_error)?;
            ctx.out.emit(serde_json::to_value(&p)?, || {
                let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
                format!(
                    "Retention policy of `{}`: keep last {}, older than {} days, pattern {}, delete untagged: {}\nLast run: {}",
                    p.namespace,
                    opt(p.keep_last.map(|n| n.to_string())),
                    opt(p.max_age_days.map(|n| n.to_string())),
                    opt(p.pattern.clone()),
                    p.delete_untagged,
                    opt(p.last_run_at.clone()),
                )
            });
        }
        RetentionCommand::Set(a) => {
            let rules = RetentionRules {
                keep_last: a.keep_last,
                max_age_days: a.max_age_days,
                pattern: a.pattern,
                delete_untagged: a.delete_untagged,
            };
            let p = client
                .set_retention_policy(&a.scope, &rules)
                .await
                .map_err(client_error)?;
            ctx.out.emit(serde_json::to_value(&p)?, || {
                format!(
                    "Set the retention policy of `{}`; see what it deletes with `trove retention preview {}`",
                    p.namespace, p.namespace
                )
            });
        }
        RetentionCommand::Clear { scope } => {
            client.delete_retention_policy(&scope).await.map_err(client_error)?;
            ctx.out.emit(json!({ "namespace": scope, "cleared": true }), || {
                format!("Removed the retention policy of `{scope}`")
            });
        }
        RetentionCommand::Preview { scope } => {
            let r = client.preview_retention(&scope).await.map_err(client_error)?;
            ctx.out.emit(serde_json::to_value(&r)?, || report_text(&r));
        }
        RetentionCommand::Apply { scope } => {
            let r = client.apply_retention(&scope).await.map_err(client_error)?;
            ctx.out.emit(serde_json::to_value(&r)?, || report_text(&r));
        }
    }
    Ok(())
}

pub async fn usage(ctx: &Ctx, a: UsageArgs) -> anyhow::Result<()> {
    let (client, _) = ctx.authed_client()?;
    let u: StorageUsage = client.storage_usage(&a.scope).await.map_err(client_error)?;
    ctx.out.emit(serde_json::to_value(&u)?, || match u.quota_bytes {
        Some(q) => format!(
            "`{}` uses {} of its {} quota",
            u.namespace,
            human_bytes(u.used_bytes.max(0) as u64),
            human_bytes(q.max(0) as u64)
        ),
        None => format!(
            "`{}` uses {} (no quota)",
            u.namespace,
            human_bytes(u.used_bytes.max(0) as u64)
        ),
    });
    Ok(())
}
