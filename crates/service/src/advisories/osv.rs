//! The OSV side of advisories: ecosystem and package names as OSV clients write them, the
//! parts of an OSV document that queries read, and building Trove's own documents.
//!
//! OSV ecosystems of Trove's packages: native → `Trove`, npm → `npm`, Cargo → `crates.io`,
//! PyPI → `PyPI` (OCI images have no advisories). Package names are the ones each client
//! uses: `scope/name` for native packages, `@scope/name` for npm (or the bare name of a
//! package of `[npm] unscoped_namespace`), the crate name for Cargo and the project name for
//! PyPI. Lookups compare names normalized per ecosystem ([`normalize_name`]).

use serde::Deserialize;
use serde_json::{json, Map, Value};
use trove_core::Ecosystem;
use trove_db::packages::Package;

/// The OSV schema version Trove writes.
pub const SCHEMA_VERSION: &str = "1.7.0";

/// The OSV ecosystem name of a Trove ecosystem (none for OCI).
pub fn osv_ecosystem(eco: Ecosystem) -> Option<&'static str> {
    match eco {
        Ecosystem::Native => Some("Trove"),
        Ecosystem::Npm => Some("npm"),
        Ecosystem::Cargo => Some("crates.io"),
        Ecosystem::Pypi => Some("PyPI"),
        Ecosystem::Oci => None,
    }
}

/// The Trove ecosystem whose version rules an OSV ecosystem follows, if Trove knows them.
pub fn version_ecosystem(osv: &str) -> Option<Ecosystem> {
    match osv {
        "Trove" => Some(Ecosystem::Native),
        "npm" => Some(Ecosystem::Npm),
        "crates.io" => Some(Ecosystem::Cargo),
        "PyPI" => Some(Ecosystem::Pypi),
        _ => None,
    }
}

/// A package name in the form lookups compare: PyPI per PEP 503 (lowercase, runs of `-`,
/// `_`, `.` as one `-`), crates.io lowercase with `_` as `-` (crates.io treats them alike),
/// Trove names lowercase with `_` and `.` as `-` (Trove's normalization); others as given.
pub fn normalize_name(ecosystem: &str, name: &str) -> String {
    let name = name.trim();
    match ecosystem {
        "PyPI" => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.extend(c.to_lowercase());
                }
            }
            out
        }
        "crates.io" => name.to_lowercase().replace('_', "-"),
        "Trove" => trove_core::name::normalize(&name.to_lowercase()),
        "npm" => name.to_lowercase(),
        _ => name.to_string(),
    }
}

/// The OSV package name of a Trove package (see the module documentation).
pub fn osv_name(pkg: &Package, npm_unscoped_namespace: Option<&str>) -> String {
    match pkg.ecosystem {
        Ecosystem::Npm if npm_unscoped_namespace == Some(pkg.scope.as_str()) => pkg.name.clone(),
        Ecosystem::Npm => format!("@{}/{}", pkg.scope, pkg.name),
        Ecosystem::Cargo | Ecosystem::Pypi => pkg.name.clone(),
        _ => pkg.full_name(),
    }
}

/// The package URL of an OSV package, for the ecosystems purl defines.
pub fn purl(ecosystem: &str, name: &str) -> Option<String> {
    let enc = |s: &str| percent_encode(s);
    match ecosystem {
        "npm" => Some(match name.strip_prefix('@').and_then(|r| r.split_once('/')) {
            Some((scope, n)) => format!("pkg:npm/%40{}/{}", enc(scope), enc(n)),
            None => format!("pkg:npm/{}", enc(name)),
        }),
        "crates.io" => Some(format!("pkg:cargo/{}", enc(name))),
        "PyPI" => Some(format!("pkg:pypi/{}", enc(&normalize_name("PyPI", name)))),
        _ => None,
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A package URL split into the OSV ecosystem, the package name and the version if any
/// (`pkg:npm/%40acme/pad@1.0.0` → `npm`, `@acme/pad`, `1.0.0`). Qualifiers and subpaths are
/// ignored. `None` for types Trove does not map.
pub fn parse_purl(purl: &str) -> Option<(String, String, Option<String>)> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (ty, path) = rest.split_once('/')?;
    let (path, version) = match path.rsplit_once('@') {
        Some((p, v)) if !p.is_empty() && !p.ends_with('/') => (p, Some(percent_decode(v))),
        _ => (path, None),
    };
    let ecosystem = match ty.to_ascii_lowercase().as_str() {
        "npm" => "npm",
        "cargo" => "crates.io",
        "pypi" => "PyPI",
        "trove" => "Trove",
        _ => return None,
    };
    let name = path.split('/').map(percent_decode).collect::<Vec<_>>().join("/");
    if name.is_empty() {
        return None;
    }
    Some((ecosystem.to_string(), name, version))
}

/// `affected[].package` of an OSV document.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OsvPackage {
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub name: String,
}

/// One event of a range, as stored (any member may be missing).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Event {
    pub introduced: Option<String>,
    pub fixed: Option<String>,
    pub last_affected: Option<String>,
    pub limit: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Range {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub events: Vec<Event>,
}

/// `affected[]` of an OSV document: what queries match against.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Affected {
    pub package: Option<OsvPackage>,
    #[serde(default)]
    pub ranges: Vec<Range>,
    #[serde(default)]
    pub versions: Vec<String>,
}

/// The parts of an OSV document Trove reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Doc {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub modified: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub affected: Vec<Affected>,
    #[serde(default)]
    pub severity: Vec<Severity>,
    pub withdrawn: Option<String>,
    #[serde(default)]
    pub database_specific: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Severity {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub score: String,
}

impl Doc {
    pub fn parse(doc: &Value) -> Doc {
        Doc::deserialize(doc).unwrap_or_default()
    }

    /// The affected entries for a package (OSV ecosystem, normalized name).
    pub fn affected_for<'a>(&'a self, ecosystem: &'a str, name: &'a str) -> impl Iterator<Item = &'a Affected> + 'a {
        self.affected.iter().filter(move |a| {
            a.package
                .as_ref()
                .is_some_and(|p| p.ecosystem == ecosystem && normalize_name(ecosystem, &p.name) == name)
        })
    }

    /// The CWE ids (`database_specific.cwe_ids`, as GitHub's records have them).
    pub fn cwe_ids(&self) -> Vec<String> {
        self.database_specific
            .get("cwe_ids")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
            .unwrap_or_default()
    }
}

/// The (OSV ecosystem, normalized name) of every package a document affects.
pub fn affected_packages(doc: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for a in Doc::parse(doc).affected {
        if let Some(p) = a.package {
            if p.ecosystem.is_empty() || p.name.is_empty() {
                continue;
            }
            let key = (p.ecosystem.clone(), normalize_name(&p.ecosystem, &p.name));
            if !out.contains(&key) {
                out.push(key);
            }
        }
    }
    out
}

/// What a Trove document is built from.
pub struct Build<'a> {
    pub id: &'a str,
    pub content: &'a trove_wire::AdvisoryContent,
    pub ecosystem: &'a str,
    pub name: &'a str,
    pub trove_ecosystem: Ecosystem,
    pub trove_package: &'a str,
    pub published: Option<String>,
    pub modified: String,
    pub withdrawn: Option<String>,
    pub url: String,
    pub score: Option<(f64, &'static str)>,
}

/// Trove's OSV document of a local advisory. Empty lists are left out, as osv.dev does.
pub fn build(b: Build<'_>) -> Value {
    let c = b.content;
    let mut doc = Map::new();
    doc.insert("schema_version".into(), json!(SCHEMA_VERSION));
    doc.insert("id".into(), json!(b.id));
    doc.insert("modified".into(), json!(b.modified));
    if let Some(p) = &b.published {
        doc.insert("published".into(), json!(p));
    }
    if let Some(w) = &b.withdrawn {
        doc.insert("withdrawn".into(), json!(w));
    }
    if !c.aliases.is_empty() {
        doc.insert("aliases".into(), json!(c.aliases));
    }
    doc.insert("summary".into(), json!(c.summary));
    if !c.details.is_empty() {
        doc.insert("details".into(), json!(c.details));
    }
    if !c.severity.is_empty() {
        doc.insert("severity".into(), json!(c.severity));
    }
    let mut package = json!({ "ecosystem": b.ecosystem, "name": b.name });
    if let Some(p) = purl(b.ecosystem, b.name) {
        package["purl"] = json!(p);
    }
    let affected: Vec<Value> = c
        .affected
        .iter()
        .map(|a| {
            let mut entry = json!({ "package": package });
            if !a.ranges.is_empty() {
                entry["ranges"] = json!(a.ranges);
            }
            if !a.versions.is_empty() {
                entry["versions"] = json!(a.versions);
            }
            entry
        })
        .collect();
    doc.insert("affected".into(), json!(affected));
    if !c.references.is_empty() {
        doc.insert("references".into(), json!(c.references));
    }
    if !c.credits.is_empty() {
        doc.insert("credits".into(), json!(c.credits));
    }
    let mut specific = json!({
        "source": b.url,
        "malicious": c.malicious,
        "trove": { "ecosystem": b.trove_ecosystem.as_str(), "package": b.trove_package },
    });
    if !c.cwe_ids.is_empty() {
        specific["cwe_ids"] = json!(c.cwe_ids);
    }
    if let Some((score, severity)) = b.score {
        specific["cvss_score"] = json!(score);
        specific["severity"] = json!(severity.to_ascii_uppercase());
    }
    doc.insert("database_specific".into(), specific);
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_purls() {
        assert_eq!(normalize_name("PyPI", "Jinja2"), "jinja2");
        assert_eq!(normalize_name("PyPI", "zope.Interface__x"), "zope-interface-x");
        assert_eq!(normalize_name("crates.io", "Serde_JSON"), "serde-json");
        assert_eq!(normalize_name("Go", "github.com/A/b"), "github.com/A/b");
        assert_eq!(purl("npm", "@acme/left-pad").unwrap(), "pkg:npm/%40acme/left-pad");
        assert_eq!(purl("PyPI", "Jinja2").unwrap(), "pkg:pypi/jinja2");
        assert_eq!(
            parse_purl("pkg:npm/%40acme/left-pad@1.2.3").unwrap(),
            ("npm".into(), "@acme/left-pad".into(), Some("1.2.3".into()))
        );
        assert_eq!(
            parse_purl("pkg:pypi/jinja2").unwrap(),
            ("PyPI".into(), "jinja2".into(), None)
        );
        assert_eq!(
            parse_purl("pkg:cargo/serde@1.0.0?x=y").unwrap(),
            ("crates.io".into(), "serde".into(), Some("1.0.0".into()))
        );
        assert!(parse_purl("pkg:golang/x").is_none());
        assert!(parse_purl("npm/x").is_none());
    }
}
