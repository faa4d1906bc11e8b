//! `trove audit`: the advisories affecting the versions a project's lock files pin.

use crate::audit::{findings, Finding, Severity};
use crate::lockfiles::{self, Locked};
use crate::{client_error, Ctx};
use anyhow::bail;
use clap::Args;
use serde_json::json;
use std::collections::BTreeSet;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// A lock file to check: trove.lock, package-lock.json, Cargo.lock, uv.lock or
    /// requirements*.txt (repeatable; default: each of those in the current directory)
    #[arg(long, value_name = "PATH")]
    pub lockfile: Vec<PathBuf>,
    /// Fail only for findings at or above this severity (default: any finding fails)
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub severity: Option<Severity>,
}

/// Findings at or above the threshold: the command fails after printing them (its error
/// is printed alone, never as a second JSON document).
#[derive(Debug)]
pub struct FindingsFound(pub String);

impl std::fmt::Display for FindingsFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FindingsFound {}

pub async fn audit(ctx: &Ctx, a: AuditArgs) -> anyhow::Result<()> {
    let paths = if a.lockfile.is_empty() {
        lockfiles::find(&ctx.cwd)
    } else {
        a.lockfile.iter().map(|p| ctx.cwd.join(p)).collect()
    };
    if paths.is_empty() {
        bail!(
            "no lock file in {}: looked for {}; name one with --lockfile",
            ctx.cwd.display(),
            lockfiles::KNOWN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        );
    }
    let mut pins: BTreeSet<Locked> = BTreeSet::new();
    let mut skipped = 0;
    for p in &paths {
        let read = lockfiles::read(p)?;
        skipped += read.skipped;
        pins.extend(read.packages);
    }
    let pins: Vec<Locked> = pins.into_iter().collect();
    let (client, target) = ctx.client()?;
    ctx.out.status(format!(
        "Checking {} package version(s) from {} against {}",
        pins.len(),
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        target.url
    ));
    let found = findings(&client, &pins).await.map_err(client_error)?;
    let failing = found.iter().filter(|f| f.at_or_above(a.severity)).count();
    ctx.out.emit(
        json!({
            "lockfiles": paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "packages": pins.len(),
            "skipped": skipped,
            "severity": a.severity,
            "failing": failing,
            "findings": found,
        }),
        || table(&found, pins.len()),
    );
    if failing > 0 {
        let at = a
            .severity
            .map(|s| format!(" at or above {}", s.as_str()))
            .unwrap_or_default();
        return Err(FindingsFound(format!("{failing} finding(s){at}")).into());
    }
    Ok(())
}

/// The findings as an aligned table, then a count.
fn table(found: &[Finding], checked: usize) -> String {
    if found.is_empty() {
        return format!("No known advisories affect the {checked} package version(s) checked.");
    }
    let rows: Vec<[String; 6]> = found
        .iter()
        .map(|f| {
            let summary: String = f.summary.chars().take(72).collect();
            [
                f.package.clone(),
                f.version.clone(),
                f.id.clone(),
                f.severity_text().to_string(),
                if f.fixed.is_empty() {
                    "-".into()
                } else {
                    f.fixed.join(", ")
                },
                summary,
            ]
        })
        .collect();
    let head = ["PACKAGE", "VERSION", "ID", "SEVERITY", "FIXED IN", "SUMMARY"].map(String::from);
    let mut widths = [0usize; 6];
    for r in std::iter::once(&head).chain(&rows) {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |r: &[String; 6]| {
        let mut s = String::new();
        for (i, c) in r.iter().enumerate() {
            if i == 5 {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s.trim_end().to_string()
    };
    let mut out = vec![line(&head)];
    out.extend(rows.iter().map(line));
    out.push(format!(
        "\n{} advisory finding(s) in {checked} package version(s) checked",
        found.len()
    ));
    out.join("\n")
}
