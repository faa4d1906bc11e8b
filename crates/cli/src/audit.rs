//! Which advisories affect a set of pinned package versions, from the registry's OSV API:
//! one `querybatch` per 1,000 versions (following `next_page_token`s), then each advisory's
//! document once for its summary, severity and fixed versions. Used by `trove audit` and
//! by `trove install`'s warnings.

use crate::lockfiles::Locked;
use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use trove_client::osv::{OsvPackage, OsvQuery, QUERYBATCH_MAX};
use trove_client::{Client, ClientError};

/// Advisory severities, weakest first (CVSS's `medium` is GitHub's and npm's `moderate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Moderate,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Moderate => "moderate",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// An advisory's severity: `critical` for malicious versions (`MAL-` ids or
    /// `database_specific.malicious`), else the rating in `database_specific.severity`
    /// (`LOW`, `MODERATE`/`MEDIUM`, `HIGH`, `CRITICAL`, as Trove and GitHub write it); `None`
    /// when the document states none.
    pub fn of(doc: &Value) -> Option<Severity> {
        let specific = &doc["database_specific"];
        let malicious = doc["id"].as_str().is_some_and(|id| id.starts_with("MAL-")) || specific["malicious"] == true;
        if malicious {
            return Some(Severity::Critical);
        }
        match specific["severity"].as_str()?.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "moderate" | "medium" => Some(Severity::Moderate),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// One advisory affecting one pinned version.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub ecosystem: String,
    pub package: String,
    pub version: String,
    pub id: String,
    pub aliases: Vec<String>,
    /// `None`: the advisory states no severity (counted at every threshold).
    pub severity: Option<Severity>,
    /// Versions that fix it, for this package.
    pub fixed: Vec<String>,
    pub summary: String,
}

impl Finding {
    /// Whether it counts against `threshold` (`None`: any finding counts). A finding of
    /// unknown severity counts at every threshold: nothing says it is below.
    pub fn at_or_above(&self, threshold: Option<Severity>) -> bool {
        match (threshold, self.severity) {
            (None, _) | (_, None) => true,
            (Some(t), Some(s)) => s >= t,
        }
    }

    pub fn severity_text(&self) -> &'static str {
        self.severity.map(Severity::as_str).unwrap_or("unknown")
    }
}

/// The advisories affecting `pins`, most severe first.
pub async fn findings(client: &Client, pins: &[Locked]) -> Result<Vec<Finding>, ClientError> {
    let mut ids: Vec<(&Locked, Vec<String>)> = Vec::new();
    for chunk in pins.chunks(QUERYBATCH_MAX) {
        let queries: Vec<OsvQuery> = chunk.iter().map(|p| query(p, None)).collect();
        let batch = client.osv_querybatch(&queries).await?;
        for (pin, result) in chunk.iter().zip(batch.results) {
            let mut found: Vec<String> = result.vulns.into_iter().map(|v| v.id).collect();
            let mut token = result.next_page_token;
            while let Some(t) = token.take() {
                let more = client.osv_querybatch(&[query(pin, Some(t))]).await?;
                if let Some(r) = more.results.into_iter().next() {
                    found.extend(r.vulns.into_iter().map(|v| v.id));
                    token = r.next_page_token;
                }
            }
            if !found.is_empty() {
                ids.push((pin, found));
            }
        }
    }
    let unique: BTreeSet<String> = ids.iter().flat_map(|(_, v)| v.iter().cloned()).collect();
    let docs: Vec<(String, Result<Value, ClientError>)> = futures::stream::iter(unique)
        .map(|id| async move {
            let doc = client.osv_vuln(&id).await;
            (id, doc)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut by_id = BTreeMap::new();
    for (id, doc) in docs {
        by_id.insert(id, doc?);
    }
    let mut out = Vec::new();
    for (pin, found) in ids {
        for id in found {
            let doc = &by_id[&id];
            out.push(Finding {
                ecosystem: pin.ecosystem.to_string(),
                package: pin.name.clone(),
                version: pin.version.clone(),
                aliases: doc["aliases"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                    .unwrap_or_default(),
                severity: Severity::of(doc),
                fixed: fixed_versions(doc, pin),
                summary: doc["summary"]
                    .as_str()
                    .or(doc["details"].as_str())
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                id,
            });
        }
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| (&a.package, &a.version, &a.id).cmp(&(&b.package, &b.version, &b.id)))
    });
    Ok(out)
}

/// Warns about each installed version an advisory affects, one line each; never fails the
/// install (a registry without the OSV API is skipped quietly, other errors are a warning).
pub async fn warn_installed(client: &Client, lock: &crate::lockfile::Lockfile, out: &crate::output::Out) {
    let pins: Vec<Locked> = lock
        .packages
        .iter()
        .map(|p| Locked {
            ecosystem: "Trove",
            name: p.name.clone(),
            version: p.version.clone(),
        })
        .collect();
    if pins.is_empty() {
        return;
    }
    match findings(client, &pins).await {
        Ok(found) => {
            for f in found {
                let fixed = if f.fixed.is_empty() {
                    String::new()
                } else {
                    format!("; fixed in {}", f.fixed.join(", "))
                };
                out.warn(format!(
                    "{} {} is affected by {} ({}): {}{fixed}",
                    f.package,
                    f.version,
                    f.id,
                    f.severity_text(),
                    f.summary
                ));
            }
        }
        Err(e) if e.is_not_found() => {}
        Err(e) => out.warn(format!("could not check advisories: {e}")),
    }
}

fn query(p: &Locked, page_token: Option<String>) -> OsvQuery {
    OsvQuery {
        package: OsvPackage {
            ecosystem: p.ecosystem.to_string(),
            name: p.name.clone(),
        },
        version: p.version.clone(),
        page_token,
    }
}

/// The `fixed` events of the document's ranges for this package.
fn fixed_versions(doc: &Value, pin: &Locked) -> Vec<String> {
    let same = |a: &str, b: &str| {
        let norm = |s: &str| s.to_ascii_lowercase().replace(['_', '.'], "-");
        if matches!(pin.ecosystem, "PyPI" | "crates.io" | "Trove") {
            norm(a) == norm(b)
        } else {
            a == b
        }
    };
    let mut out = BTreeSet::new();
    for a in doc["affected"].as_array().into_iter().flatten() {
        let pkg = &a["package"];
        if pkg["ecosystem"] != pin.ecosystem || !pkg["name"].as_str().is_some_and(|n| same(n, &pin.name)) {
            continue;
        }
        for r in a["ranges"].as_array().into_iter().flatten() {
            for e in r["events"].as_array().into_iter().flatten() {
                if let Some(f) = e["fixed"].as_str() {
                    out.insert(f.to_string());
                }
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn severities_and_fixes_from_osv_documents() {
        assert_eq!(Severity::of(&json!({"id": "MAL-2024-1"})), Some(Severity::Critical));
        assert_eq!(
            Severity::of(&json!({"id": "TROVE-2026-1", "database_specific": {"malicious": true}})),
            Some(Severity::Critical)
        );
        assert_eq!(
            Severity::of(&json!({"id": "GHSA-x", "database_specific": {"severity": "MODERATE"}})),
            Some(Severity::Moderate)
        );
        assert_eq!(
            Severity::of(&json!({"id": "T", "database_specific": {"severity": "MEDIUM"}})),
            Some(Severity::Moderate)
        );
        assert_eq!(Severity::of(&json!({"id": "CVE-1"})), None);
        let doc = json!({ "affected": [
            { "package": { "ecosystem": "PyPI", "name": "Jinja2" },
              "ranges": [{ "type": "ECOSYSTEM", "events": [{ "introduced": "0" }, { "fixed": "2.11.3" }] }] },
            { "package": { "ecosystem": "npm", "name": "jinja2" },
              "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "0" }, { "fixed": "9.9.9" }] }] }
        ]});
        let pin = Locked {
            ecosystem: "PyPI",
            name: "jinja2".into(),
            version: "2.11.2".into(),
        };
        assert_eq!(fixed_versions(&doc, &pin), ["2.11.3"]);
        let f = Finding {
            ecosystem: "PyPI".into(),
            package: "jinja2".into(),
            version: "2.11.2".into(),
            id: "X".into(),
            aliases: vec![],
            severity: Some(Severity::Moderate),
            fixed: vec![],
            summary: String::new(),
        };
        assert!(f.at_or_above(None) && f.at_or_above(Some(Severity::Low)) && f.at_or_above(Some(Severity::Moderate)));
        assert!(!f.at_or_above(Some(Severity::High)));
        let unknown = Finding { severity: None, ..f };
        assert!(unknown.at_or_above(Some(Severity::Critical)));
    }
}
