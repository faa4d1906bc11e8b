//! Whether a version's stored dependency list requires a given version of a package, in each
//! ecosystem's own terms (used by retention to keep what live versions depend on):
//!
//! - native: `{"scope/name": "semver requirement"}` (`trove.toml`);
//! - npm: `{"scope/name": "npm range"}` (npm names mapped to Trove names at publish; ranges as
//!   npm reads them: `1.2.3` exact, `1.x`, `>=1 <2 || ^3`, `1.0 - 2.0`);
//! - Cargo: `{"crate": "semver requirement"}`, crates of the same registry (namespace);
//! - PyPI: `["name (>=1.0)", "other[extra]>=2; python_version<'3.12'"]` (PEP 508 `Requires-Dist`),
//!   projects of the same index (namespace), names compared PEP 503-normalized.
//!
//! A requirement that cannot be read (a URL, a git or `file:` spec, a dist-tag, bad syntax)
//! counts as requiring every version: keeping a version too many is the safe mistake.

use std::str::FromStr;
use trove_core::name::normalize;
use trove_core::Ecosystem;

/// Whether dependents of a package of `eco` are looked for in its own namespace only
/// (Cargo and PyPI name dependencies without a scope: the registry is the namespace).
pub fn same_namespace_only(eco: Ecosystem) -> bool {
    matches!(eco, Ecosystem::Cargo | Ecosystem::Pypi)
}

/// The name dependency lists of `eco` use for the package `scope/name`, lower case.
pub fn dependency_name(eco: Ecosystem, scope: &str, name: &str) -> String {
    match eco {
        Ecosystem::Cargo | Ecosystem::Pypi => name.to_lowercase(),
        _ => format!("{scope}/{name}").to_lowercase(),
    }
}

/// Whether the stored dependency list `deps` (JSON) requires `version` of the package that
/// dependency lists of `eco` call `name` (see [`dependency_name`]).
pub fn requires(eco: Ecosystem, deps: &str, name: &str, version: &str) -> bool {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(deps) else {
        return false;
    };
    match (eco, value) {
        (Ecosystem::Pypi, serde_json::Value::Array(list)) => list
            .iter()
            .filter_map(serde_json::Value::as_str)
            .any(|r| pypi_requires(r, name, version)),
        (_, serde_json::Value::Object(map)) => map.iter().any(|(dep, req)| {
            same_name(eco, dep, name) && req.as_str().is_none_or(|req| range_matches(eco, req, version))
        }),
        _ => false,
    }
}

fn same_name(eco: Ecosystem, a: &str, b: &str) -> bool {
    match eco {
        Ecosystem::Pypi => pep503(a) == pep503(b),
        _ => normalize(&a.to_lowercase()) == normalize(&b.to_lowercase()),
    }
}

/// PEP 503: lower case, runs of `-`, `_` and `.` as one `-`.
fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn range_matches(eco: Ecosystem, req: &str, version: &str) -> bool {
    let Ok(v) = semver::Version::parse(version.trim()) else {
        return true;
    };
    match eco {
        Ecosystem::Npm => npm_range(req).is_none_or(|alternatives| alternatives.iter().any(|r| r.matches(&v))),
        _ => semver::VersionReq::parse(req.trim()).map_or(true, |r| r.matches(&v)),
    }
}

fn pypi_requires(requirement: &str, name: &str, version: &str) -> bool {
    use pep508_rs::pep440_rs::Version;
    use pep508_rs::{Requirement, VerbatimUrl, VersionOrUrl};
    let Ok(req) = Requirement::<VerbatimUrl>::from_str(requirement) else {
        // Unreadable: required if it plausibly names the project.
        return pep503(requirement).starts_with(&pep503(name));
    };
    if pep503(&req.name.to_string()) != pep503(name) {
        return false;
    }
    match &req.version_or_url {
        None => true,
        Some(VersionOrUrl::VersionSpecifier(specs)) => {
            Version::from_str(version.trim()).map_or(true, |v| specs.contains(&v))
        }
        // Installed from elsewhere, not from this index.
        Some(VersionOrUrl::Url(_)) => false,
    }
}

/// An npm range as the semver requirements it is the union of (`||`); `None` when it is no
/// version range (URL, git, `file:`, `npm:` alias, dist-tag) or cannot be read.
fn npm_range(range: &str) -> Option<Vec<semver::VersionReq>> {
    const OP: [char; 5] = ['<', '>', '=', '~', '^'];
    range
        .split("||")
        .map(|alt| {
            let alt = alt.trim();
            // Hyphen ranges: `1.2.3 - 2.3.4` is `>=1.2.3 <=2.3.4` (partial ends as npm reads them).
            let comparators: Vec<String> = match alt.split_once(" - ") {
                Some((lo, hi)) => vec![format!(">={}", lo.trim()), format!("<={}", hi.trim())],
                None => {
                    let mut out = Vec::new();
                    let mut op = String::new();
                    for token in alt.split_whitespace() {
                        if token.chars().all(|c| OP.contains(&c)) {
                            op.push_str(token); // `>= 1.2.3`
                        } else {
                            out.push(format!("{op}{token}"));
                            op.clear();
                        }
                    }
                    out
                }
            };
            let mut parts = Vec::new();
            for c in comparators {
                let at = c.find(|ch: char| !OP.contains(&ch)).unwrap_or(c.len());
                let (op, v) = c.split_at(at);
                let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
                if matches!(v, "*" | "x" | "X" | "") && op.is_empty() {
                    continue;
                }
                // npm reads a bare version as exact (Cargo as `^`); a bare x-range stays one.
                let op = if op.is_empty() && !v.contains(['x', 'X', '*']) {
                    "="
                } else {
                    op
                };
                parts.push(format!("{op}{v}"));
            }
            if parts.is_empty() {
                return semver::VersionReq::parse("*").ok();
            }
            semver::VersionReq::parse(&parts.join(", ")).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npm(range: &str, v: &str) -> bool {
        range_matches(Ecosystem::Npm, range, v)
    }

    #[test]
    fn npm_ranges_as_npm_reads_them() {
        assert!(
            npm("1.2.3", "1.2.3") && !npm("1.2.3", "1.2.4"),
            "a bare version is exact"
        );
        assert!(npm("^1.2.0", "1.9.0") && !npm("^1.2.0", "2.0.0"));
        assert!(npm("~1.2.0", "1.2.9") && !npm("~1.2.0", "1.3.0"));
        assert!(npm("1.x", "1.5.0") && !npm("1.x", "2.0.0"));
        assert!(npm("*", "0.1.0") && npm("", "3.0.0") && npm("latest", "1.0.0"));
        assert!(npm(">=1.0.0 <2", "1.5.0") && !npm(">=1.0.0 <2", "2.0.0"));
        assert!(npm(">= 1.0.0 < 2", "1.0.0"));
        assert!(npm("<1 || ^3.1", "3.2.0") && npm("<1 || ^3.1", "0.9.0") && !npm("<1 || ^3.1", "2.0.0"));
        assert!(npm("1.0.0 - 2.0", "2.0.7") && !npm("1.0.0 - 2.0", "2.1.0") && !npm("1.0.0 - 2.0", "0.9.0"));
        assert!(npm("v1.0.0", "1.0.0"));
        // Not ranges: kept to be safe.
        assert!(npm("git+https://example.com/x.git", "1.0.0") && npm("file:../x", "0.1.0"));
    }

    #[test]
    fn cargo_and_native_requirements_are_semver() {
        assert!(
            range_matches(Ecosystem::Cargo, "1.2", "1.9.0"),
            "`1.2` is `^1.2` for Cargo"
        );
        assert!(!range_matches(Ecosystem::Cargo, "=1.2.0", "1.2.1"));
        assert!(requires(Ecosystem::Cargo, r#"{"Foo_Bar":"^0.3"}"#, "foo-bar", "0.3.4"));
        assert!(!requires(Ecosystem::Cargo, r#"{"foo-bar":"^0.3"}"#, "foo-bar", "0.4.0"));
        assert!(requires(
            Ecosystem::Native,
            r#"{"acme/gears":">=1, <2"}"#,
            "acme/gears",
            "1.0.0"
        ));
        assert!(!requires(
            Ecosystem::Native,
            r#"{"acme/gears2":"*"}"#,
            "acme/gears",
            "1.0.0"
        ));
    }

    #[test]
    fn pypi_requirements_are_pep_508() {
        let deps = r#"["Requests (>=2.0,<3)", "zope.interface[test]>=5; python_version >= '3.8'", "other @ https://example.com/o.whl"]"#;
        assert!(requires(Ecosystem::Pypi, deps, "requests", "2.31.0"));
        assert!(!requires(Ecosystem::Pypi, deps, "requests", "3.0"));
        assert!(!requires(Ecosystem::Pypi, deps, "requests", "1.9"));
        assert!(requires(Ecosystem::Pypi, deps, "zope-interface", "6.0"));
        assert!(!requires(Ecosystem::Pypi, deps, "zope-interface", "4.1"));
        assert!(
            !requires(Ecosystem::Pypi, deps, "other", "1.0"),
            "a URL requirement is not from the index"
        );
        assert!(requires(Ecosystem::Pypi, r#"["plain"]"#, "plain", "0.1"));
        assert!(requires(Ecosystem::Pypi, r#"["pre>=1.0rc1"]"#, "pre", "1.0"));
    }
}
