//! `search`, `info`, `stats`.

use crate::output::sparkline;
use crate::{client_error, parse_package_name, Ctx};
use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use serde_json::json;
use trove_client::{ClientError, SearchQuery};
use trove_core::time::day_number;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SortArg {
    Relevance,
    Downloads,
    Recent,
    Name,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Words to look for
    pub query: Vec<String>,
    #[arg(long)]
    pub ecosystem: Option<String>,
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long)]
    pub license: Option<String>,
    #[arg(long)]
    pub keyword: Option<String>,
    #[arg(long, value_enum)]
    pub sort: Option<SortArg>,
    #[arg(long, default_value_t = 1)]
    pub page: u32,
    #[arg(long, default_value_t = 20)]
    pub per_page: u32,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// `scope/name`, or `scope/name@version` for one version's details
    pub package: String,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// `scope/name`
    pub package: String,
    /// Days shown in the sparkline
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub days: u32,
}

/// A missing endpoint (older registry) reads better than "no such endpoint".
fn missing_endpoint(e: ClientError, what: &str) -> anyhow::Error {
    if matches!(&e, ClientError::Api { status: 404, message, .. } if message == "no such endpoint") {
        return anyhow::anyhow!("this registry does not offer {what} yet (its API has no such endpoint)");
    }
    client_error(e)
}

pub async fn search(ctx: &Ctx, a: SearchArgs) -> anyhow::Result<()> {
    let (client, _) = ctx.client()?;
    let q = SearchQuery {
        q: a.query.join(" "),
        ecosystem: a.ecosystem,
        kind: a.kind,
        category: a.category,
        license: a.license,
        keyword: a.keyword,
        sort: a.sort.map(|s| format!("{s:?}").to_lowercase()),
        page: Some(a.page),
        per_page: Some(a.per_page),
    };
    let r = client.search(&q).await.map_err(|e| missing_endpoint(e, "search"))?;
    ctx.out.emit(serde_json::to_value(&r)?, || {
        if r.results.is_empty() {
            return format!("No packages match `{}`", q.q);
        }
        let w = r.results.iter().map(|h| h.full_name.len()).max().unwrap_or(0);
        let mut s = String::new();
        for h in &r.results {
            let desc = h.description.as_deref().unwrap_or("");
            let desc: String = if desc.chars().count() > 70 {
                desc.chars().take(69).collect::<String>() + "…"
            } else {
                desc.to_string()
            };
            s += &format!(
                "{:<w$}  {:<10} {:<8} {:>8} ↓  {desc}\n",
                h.full_name,
                h.latest_version.as_deref().unwrap_or("-"),
                h.kind,
                h.downloads,
            );
        }
        let shown_to = ((r.page.max(1) - 1) * r.per_page.max(1)) + r.results.len();
        s += &format!("{} of {} result(s), page {}", shown_to, r.total, r.page.max(1));
        s
    });
    Ok(())
}

pub async fn info(ctx: &Ctx, a: InfoArgs) -> anyhow::Result<()> {
    let (name, version) = match a.package.split_once('@') {
        Some((n, v)) => (parse_package_name(n)?, Some(v.to_string())),
        None => (parse_package_name(&a.package)?, None),
    };
    let (client, _) = ctx.client()?;
    let pkg = client.get_package(&name).await.map_err(client_error)?;
    let versions = client.list_versions(&name).await.map_err(client_error)?;
    let shown = match &version {
        Some(v) => Some(
            versions
                .iter()
                .find(|x| &x.version == v)
                .with_context(|| format!("`{name}` has no version {v}"))?
                .clone(),
        ),
        None => pkg
            .latest_version
            .as_ref()
            .and_then(|l| versions.iter().find(|x| &x.version == l))
            .cloned(),
    };
    ctx.out.emit(
        json!({ "package": pkg, "versions": versions, "version": shown }),
        || {
            let mut s = format!(
                "{} {}",
                pkg.full_name,
                pkg.latest_version.as_deref().unwrap_or("(no release)")
            );
            if let Some(d) = &pkg.description {
                s += &format!("\n{d}");
            }
            s += &format!("\n  kind: {}   visibility: {}", pkg.kind, pkg.visibility);
            if let Some(l) = &pkg.license {
                s += &format!("   license: {l}");
            }
            s += &format!("\n  downloads: {}", pkg.downloads);
            if !pkg.keywords.is_empty() {
                s += &format!("\n  keywords: {}", pkg.keywords.join(", "));
            }
            for (k, v) in [("homepage", &pkg.homepage), ("repository", &pkg.repository)] {
                if let Some(v) = v {
                    s += &format!("\n  {k}: {v}");
                }
            }
            if let Some(v) = &shown {
                s += &format!("\n\n{} {}  {}", pkg.full_name, v.version, v.digest);
                if let Some(p) = &v.publisher {
                    s += &format!("\n  published by {p}{}", format!(" at {}", v.created_at));
                }
                if v.dependencies.is_empty() {
                    s += "\n  no dependencies";
                } else {
                    s += "\n  dependencies:";
                    for (d, r) in &v.dependencies {
                        s += &format!("\n    {d} {r}");
                    }
                }
            }
            s += "\n\nversions:";
            for v in versions.iter().take(20) {
                let mut marks = Vec::new();
                if v.yanked {
                    marks.push("yanked".to_string());
                }
                if let Some(d) = &v.deprecated {
                    marks.push(format!("deprecated: {d}"));
                }
                s += &format!(
                    "\n  {}{}",
                    v.version,
                    if marks.is_empty() {
                        String::new()
                    } else {
                        format!("  ({})", marks.join("; "))
                    }
                );
            }
            if versions.len() > 20 {
                s += &format!("\n  … and {} older", versions.len() - 20);
            }
            s
        },
    );
    Ok(())
}

/// Daily counts for the `days` days ending today (UTC), zeros filled in.
fn daily_series(daily: &[trove_client::DailyCount], days: u32, today: i64) -> Vec<(String, i64)> {
    let start = today - days as i64 + 1;
    let mut counts = vec![0i64; days as usize];
    for d in daily {
        if let Some(n) = day_number(&d.date) {
            if (start..=today).contains(&n) {
                counts[(n - start) as usize] += d.downloads;
            }
        }
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(i, c)| (trove_core::time::date(start + i as i64), c))
        .collect()
}

pub async fn stats(ctx: &Ctx, a: StatsArgs) -> anyhow::Result<()> {
    let name = parse_package_name(&a.package)?;
    let (client, _) = ctx.client()?;
    let st = client
        .stats(&name)
        .await
        .map_err(|e| missing_endpoint(e, "download statistics"))?;
    if st.total < 0 {
        bail!("the registry sent negative download counts");
    }
    let today = trove_core::time::day_of(trove_core::now_ms());
    let series = daily_series(&st.daily, a.days, today);
    let values: Vec<i64> = series.iter().map(|(_, c)| *c).collect();
    let line = sparkline(&values);
    let mut v = serde_json::to_value(&st)?;
    v["sparkline"] = json!(line);
    v["series"] = json!(series
        .iter()
        .map(|(d, c)| json!({ "date": d, "downloads": c }))
        .collect::<Vec<_>>());
    ctx.out.emit(v, || {
        let max = values.iter().copied().max().unwrap_or(0);
        let mut s = format!(
            "{name} downloads\n  total: {}   last 7 days: {}   last 30 days: {}   last 365 days: {}\n\n  {line}  (last {} days, peak {max}/day)\n  {} … {}",
            st.total,
            st.last_7_days,
            st.last_30_days,
            st.last_365_days,
            a.days,
            series.first().map(|x| x.0.as_str()).unwrap_or(""),
            series.last().map(|x| x.0.as_str()).unwrap_or(""),
        );
        if !st.versions.is_empty() {
            s += "\n\n  by version:";
            for v in st.versions.iter().take(10) {
                s += &format!("\n    {:<16} {}", v.version, v.total);
            }
        }
        s
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_fill_gaps_and_ignore_old_days() {
        let today = day_number("2026-11-05").unwrap();
        let daily = vec![
            trove_client::DailyCount {
                date: "2026-11-01".into(),
                downloads: 3,
            },
            trove_client::DailyCount {
                date: "2026-11-05".into(),
                downloads: 7,
            },
            trove_client::DailyCount {
                date: "2025-01-01".into(),
                downloads: 99,
            },
        ];
        let s = daily_series(&daily, 5, today);
        assert_eq!(s.len(), 5);
        assert_eq!(s[0], ("2026-11-01".to_string(), 3));
        assert_eq!(s[4], ("2026-11-05".to_string(), 7));
        assert_eq!(s.iter().map(|x| x.1).sum::<i64>(), 10);
    }
}
