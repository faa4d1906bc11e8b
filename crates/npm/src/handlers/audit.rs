use super::json;
use crate::errors::{NpmError, NpmResult};
use crate::route::Req;
use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io::Read;

/// Largest audit body accepted, after decompression.
const MAX_AUDIT_BYTES: u64 = 16 << 20;

/// `POST /npm/-/npm/v1/security/advisories/bulk` (`npm audit`: `{name: [versions]}`, often
/// gzip-encoded) → `{name: [{id, url, title, severity, vulnerable_versions, cwe, cvss}]}`;
/// and `…/audits/quick` and `…/audits` (pnpm, npm 6: the dependency tree) → npm's full audit
/// report (`advisories` by id with `findings`, `metadata.vulnerabilities`). Both answer from
/// Trove's advisories of ecosystem `npm` (its own and imported ones) that the caller may see.
pub async fn audit(req: Req, bulk: bool, body: Body) -> NpmResult<Response> {
    let gzip = req
        .headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let raw = axum::body::to_bytes(body, MAX_AUDIT_BYTES as usize)
        .await
        .map_err(|_| {
            NpmError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the audit request is too large",
            )
        })?;
    let mut text = Vec::new();
    let read = if gzip {
        flate2::read::GzDecoder::new(&raw[..])
            .take(MAX_AUDIT_BYTES + 1)
            .read_to_end(&mut text)
    } else {
        text.extend_from_slice(&raw);
        Ok(raw.len())
    };
    read.map_err(|e| NpmError::bad_request("bad_body", format!("the body is not valid gzip: {e}")))?;
    if text.len() as u64 > MAX_AUDIT_BYTES {
        return Err(NpmError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the audit request is too large",
        ));
    }
    let request: Value = serde_json::from_slice(&text)
        .map_err(|e| NpmError::bad_request("invalid_body", format!("the audit request is not JSON: {e}")))?;
    let Some(object) = request.as_object() else {
        return Err(NpmError::bad_request(
            "invalid_body",
            "the audit request is not a JSON object",
        ));
    };
    if bulk {
        let mut wanted: Vec<(String, Vec<String>)> = Vec::new();
        for (name, versions) in object {
            let versions: Vec<String> = match versions {
                Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
                Value::String(v) => vec![v.clone()],
                _ => {
                    return Err(NpmError::bad_request(
                        "invalid_body",
                        format!("`{name}`: give the installed versions as a list of strings"),
                    ))
                }
            };
            wanted.push((name.clone(), versions));
        }
        let mut out = Map::new();
        for (name, versions) in wanted {
            let found = advisories_of(&req, &name, &versions).await?;
            if !found.is_empty() {
                out.insert(name, Value::Array(found.iter().map(|a| a.bulk()).collect()));
            }
        }
        return Ok(json(StatusCode::OK, Value::Object(out)));
    }
    // The full report: every (name, version) of the tree with the paths leading to it.
    let mut installed: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut dependencies = 0;
    walk(&request, &mut Vec::new(), &mut installed, &mut dependencies, 0);
    let mut advisories = Map::new();
    let mut counts: BTreeMap<&'static str, u64> = ["info", "low", "moderate", "high", "critical"]
        .into_iter()
        .map(|s| (s, 0))
        .collect();
    let mut names: Vec<&str> = installed.iter().map(|(n, _, _)| n.as_str()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let mut versions: Vec<String> = installed
            .iter()
            .filter(|(n, _, _)| n == name)
            .map(|(_, v, _)| v.clone())
            .collect();
        versions.sort();
        versions.dedup();
        for a in advisories_of(&req, name, &versions).await? {
            let findings: Vec<Value> = versions
                .iter()
                .filter(|v| a.affects(v))
                .map(|v| {
                    let paths: Vec<String> = installed
                        .iter()
                        .filter(|(n, iv, _)| n == name && iv == v)
                        .map(|(_, _, p)| p.join(">"))
                        .collect();
                    json!({ "version": v, "paths": paths })
                })
                .collect();
            *counts.entry(a.severity).or_default() += 1;
            advisories.insert(a.id.clone(), a.legacy(name, findings));
        }
    }
    Ok(json(
        StatusCode::OK,
        json!({
            "actions": [],
            "advisories": advisories,
            "muted": [],
            "metadata": {
                "vulnerabilities": counts,
                "dependencies": dependencies,
                "devDependencies": 0,
                "optionalDependencies": 0,
                "totalDependencies": dependencies,
            },
        }),
    ))
}

/// Collects `(name, version, path)` of every node of an npm/pnpm audit tree
/// (`dependencies: {name: {version, dependencies}}`). pnpm's importer level (`.`) is left out
/// of the paths.
fn walk(
    node: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<(String, String, Vec<String>)>,
    count: &mut u64,
    depth: usize,
) {
    if depth > 64 || out.len() > 100_000 {
        return;
    }
    let Some(deps) = node.get("dependencies").and_then(Value::as_object) else {
        return;
    };
    for (name, child) in deps {
        let importer = depth == 0 && (name == "." || child.get("integrity").is_none() && name.contains("__"));
        if importer {
            walk(child, path, out, count, depth + 1);
            continue;
        }
        path.push(name.clone());
        if let Some(v) = child.get("version").and_then(Value::as_str) {
            *count += 1;
            out.push((name.clone(), v.to_string(), path.clone()));
        }
        walk(child, path, out, count, depth + 1);
        path.pop();
    }
}

/// An advisory as npm shows it.
struct NpmAdvisory {
    id: String,
    url: String,
    title: String,
    severity: &'static str,
    vulnerable_versions: String,
    patched_versions: String,
    cwe: Vec<String>,
    cves: Vec<String>,
    ghsa: Option<String>,
    overview: String,
    cvss: Value,
    created: Value,
    updated: Value,
    entries: Vec<trove_service::advisories::osv::Affected>,
}

impl NpmAdvisory {
    fn affects(&self, version: &str) -> bool {
        self.entries
            .iter()
            .any(|e| trove_service::advisories::matching::affects("npm", e, version))
    }

    fn bulk(&self) -> Value {
        json!({
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "severity": self.severity,
            "vulnerable_versions": self.vulnerable_versions,
            "cwe": self.cwe,
            "cvss": self.cvss,
        })
    }

    fn legacy(&self, name: &str, findings: Vec<Value>) -> Value {
        json!({
            "id": self.id,
            "findings": findings,
            "title": self.title,
            "module_name": name,
            "vulnerable_versions": self.vulnerable_versions,
            "patched_versions": self.patched_versions,
            "severity": self.severity,
            "cwe": self.cwe.first().cloned().unwrap_or_default(),
            "cves": self.cves,
            "github_advisory_id": self.ghsa,
            "overview": self.overview,
            "recommendation": if self.patched_versions == "<0.0.0" {
                "None".to_string()
            } else {
                format!("Upgrade to version {}", self.patched_versions)
            },
            "references": "",
            "access": "public",
            "url": self.url,
            "created": self.created,
            "updated": self.updated,
            "deleted": null,
            "found_by": null,
            "reported_by": null,
            "metadata": null,
        })
    }
}

/// The advisories affecting any of `versions` of an npm package, in npm's terms.
async fn advisories_of(req: &Req, name: &str, versions: &[String]) -> NpmResult<Vec<NpmAdvisory>> {
    use trove_service::advisories::{matching, osv, severity};
    let docs = req
        .state
        .services
        .advisories()
        .affecting(&req.ctx, "npm", name, versions)
        .await?;
    let normalized = osv::normalize_name("npm", name);
    let base = req.registry_url();
    let base = base.trim_end_matches("/npm");
    Ok(docs
        .into_iter()
        .map(|raw| {
            let doc = osv::Doc::parse(&raw);
            let entries: Vec<osv::Affected> = doc.affected_for("npm", &normalized).cloned().collect();
            let refs: Vec<&osv::Affected> = entries.iter().collect();
            let (score, rating) = severity::highest(&doc, &raw);
            let severity = match rating {
                Some("critical") => "critical",
                Some("high") => "high",
                Some("medium") => "moderate",
                Some("low") => "low",
                Some(_) => "info",
                None if raw["database_specific"]["malicious"] == true || doc.id.starts_with("MAL-") => "critical",
                None => "moderate",
            };
            let vector = doc
                .severity
                .iter()
                .find(|s| s.kind.starts_with("CVSS"))
                .map(|s| s.score.clone());
            let fixed: Vec<String> = entries
                .iter()
                .flat_map(|e| e.ranges.iter())
                .flat_map(|r| r.events.iter())
                .filter_map(|e| e.fixed.clone())
                .collect();
            let patched = if fixed.is_empty() {
                "<0.0.0".to_string()
            } else {
                fixed.iter().map(|f| format!(">={f}")).collect::<Vec<_>>().join(" || ")
            };
            // Trove's own advisories link to their page here (as the client reaches it),
            // imported ones to their source, else to osv.dev.
            let url = if raw["database_specific"]["trove"].is_object() {
                format!("{base}/advisories/{}", doc.id)
            } else {
                raw["database_specific"]["source"]
                    .as_str()
                    .filter(|s| s.starts_with("http"))
                    .map_or_else(|| format!("https://osv.dev/vulnerability/{}", doc.id), String::from)
            };
            NpmAdvisory {
                url,
                title: if doc.summary.is_empty() {
                    doc.id.clone()
                } else {
                    doc.summary.clone()
                },
                severity,
                vulnerable_versions: matching::npm_range(&refs),
                patched_versions: patched,
                cwe: doc.cwe_ids(),
                cves: doc.aliases.iter().filter(|a| a.starts_with("CVE-")).cloned().collect(),
                ghsa: doc.aliases.iter().find(|a| a.starts_with("GHSA-")).cloned(),
                overview: doc.details.clone(),
                cvss: json!({ "score": score.unwrap_or(0.0), "vectorString": vector }),
                created: raw.get("published").cloned().unwrap_or(Value::Null),
                updated: raw.get("modified").cloned().unwrap_or(Value::Null),
                id: doc.id,
                entries,
            }
        })
        .collect())
}
