//! Whether a version is affected: OSV ranges evaluated in each ecosystem's own version order
//! (`trove_core::version::EcoVersion`: semver for Trove, npm and crates.io, PEP 440 for PyPI),
//! pre-releases included (`1.0.0-rc.1` is below `1.0.0`, `1.0rc1` below `1.0`), and the
//! explicit `versions` list.
//!
//! A range's events are sorted by version (`introduced: "0"` first) and walked in order:
//! `introduced` at or below the version opens it, `fixed` or `limit` at or below the version
//! closes it, `last_affected` below the version closes it. GIT ranges are not evaluated
//! (Trove has no commits); neither are ranges of ecosystems whose order Trove does not know,
//! where only `versions` match.

use super::osv::{version_ecosystem, Affected, Event, Range};
use std::cmp::Ordering;
use trove_core::version::EcoVersion;
use trove_core::Ecosystem;

/// Parses a version for matching. Semver leniently (a leading `v`, missing minor or patch
/// numbers as in `1.2`); PEP 440 with local labels allowed (they are versions a client may
/// have installed, even if indexes refuse them).
pub fn parse(eco: Ecosystem, s: &str) -> Option<EcoVersion> {
    let s = s.trim();
    match eco {
        Ecosystem::Pypi => s.parse::<pep440_rs::Version>().ok().map(EcoVersion::Pep440),
        Ecosystem::Oci => None,
        _ => {
            if let Ok(v) = EcoVersion::parse(eco, s) {
                return Some(v);
            }
            let s = s.strip_prefix('v').unwrap_or(s);
            let (core, rest) = match s.find(['-', '+']) {
                Some(i) => (&s[..i], &s[i..]),
                None => (s, ""),
            };
            let parts = core.split('.').count();
            if parts == 0 || parts > 3 {
                return None;
            }
            let padded = format!("{core}{}{rest}", ".0".repeat(3 - parts));
            EcoVersion::parse(eco, &padded).ok()
        }
    }
}

fn cmp(a: &EcoVersion, b: &EcoVersion) -> Ordering {
    a.partial_cmp(b).unwrap_or(Ordering::Equal)
}

/// The scheme a range's versions follow, if Trove can order them.
fn range_scheme(osv_ecosystem: &str, range: &Range) -> Option<Ecosystem> {
    match range.kind.as_str() {
        // SEMVER ranges are semver whatever the ecosystem.
        "SEMVER" => Some(Ecosystem::Native),
        "ECOSYSTEM" => version_ecosystem(osv_ecosystem),
        _ => None,
    }
}

enum Kind {
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}

fn event(e: &Event) -> Option<(Kind, &str)> {
    if let Some(v) = &e.introduced {
        return Some((Kind::Introduced, v));
    }
    if let Some(v) = &e.fixed {
        return Some((Kind::Fixed, v));
    }
    if let Some(v) = &e.last_affected {
        return Some((Kind::LastAffected, v));
    }
    e.limit.as_deref().map(|v| (Kind::Limit, v))
}

/// Whether `version` falls in the range (`None` when the range cannot be evaluated).
pub fn in_range(scheme: Ecosystem, range: &Range, version: &EcoVersion) -> Option<bool> {
    // (kind, version; None for introduced "0")
    let mut events: Vec<(Kind, Option<EcoVersion>)> = Vec::new();
    for e in &range.events {
        let (kind, v) = event(e)?;
        let parsed = if matches!(kind, Kind::Introduced) && v == "0" {
            None
        } else {
            Some(parse(scheme, v)?)
        };
        events.push((kind, parsed));
    }
    events.sort_by(|a, b| match (&a.1, &b.1) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => cmp(x, y),
    });
    let mut affected = false;
    for (kind, at) in &events {
        let ord = at.as_ref().map_or(Ordering::Greater, |at| cmp(version, at));
        match kind {
            Kind::Introduced if ord != Ordering::Less => affected = true,
            Kind::Fixed | Kind::Limit if ord != Ordering::Less => affected = false,
            Kind::LastAffected if ord == Ordering::Greater => affected = false,
            _ => {}
        }
    }
    Some(affected)
}

/// Whether an affected entry (of the OSV ecosystem `osv_ecosystem`) covers `version`.
pub fn affects(osv_ecosystem: &str, affected: &Affected, version: &str) -> bool {
    let eco = version_ecosystem(osv_ecosystem);
    let parsed_eco = eco.and_then(|e| parse(e, version));
    let same = |listed: &str| {
        listed == version
            || match (eco, &parsed_eco) {
                (Some(e), Some(v)) => parse(e, listed).is_some_and(|l| l.key() == v.key()),
                _ => false,
            }
    };
    if affected.versions.iter().any(|v| same(v)) {
        return true;
    }
    affected.ranges.iter().any(|r| {
        let Some(scheme) = range_scheme(osv_ecosystem, r) else {
            return false;
        };
        let Some(v) = parse(scheme, version) else {
            return false;
        };
        in_range(scheme, r, &v) == Some(true)
    })
}

/// An npm range expression (`>=1.0.0 <1.2.3 || 2.0.0`) equivalent to an affected entry, for
/// npm's audit answers (`vulnerable_versions`). `*` when it affects everything, `<0.0.0-0`
/// when nothing can be said.
pub fn npm_range(affected: &[&Affected]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for a in affected {
        for r in &a.ranges {
            if !matches!(r.kind.as_str(), "SEMVER" | "ECOSYSTEM") {
                continue;
            }
            let mut evs: Vec<(Kind, String)> = r
                .events
                .iter()
                .filter_map(|e| event(e).map(|(k, v)| (k, v.to_string())))
                .collect();
            evs.sort_by(|a, b| {
                let pa = (a.1 != "0" || !matches!(a.0, Kind::Introduced))
                    .then(|| parse(Ecosystem::Npm, &a.1))
                    .flatten();
                let pb = (b.1 != "0" || !matches!(b.0, Kind::Introduced))
                    .then(|| parse(Ecosystem::Npm, &b.1))
                    .flatten();
                match (pa, pb) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) => cmp(&x, &y),
                }
            });
            let mut open: Option<String> = None;
            for (kind, v) in evs {
                match kind {
                    Kind::Introduced => {
                        open.get_or_insert(if v == "0" { String::new() } else { format!(">={v}") });
                    }
                    Kind::Fixed | Kind::Limit => {
                        if let Some(lo) = open.take() {
                            parts.push(format!("{lo} <{v}").trim().to_string());
                        }
                    }
                    Kind::LastAffected => {
                        if let Some(lo) = open.take() {
                            parts.push(format!("{lo} <={v}").trim().to_string());
                        }
                    }
                }
            }
            if let Some(lo) = open {
                parts.push(if lo.is_empty() { "*".to_string() } else { lo });
            }
        }
        parts.extend(a.versions.iter().cloned());
    }
    if parts.is_empty() {
        return "<0.0.0-0".into();
    }
    parts.join(" || ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisories::osv::{Affected, Event, Range};

    fn ev(kind: &str, v: &str) -> Event {
        let mut e = Event::default();
        let s = Some(v.to_string());
        match kind {
            "introduced" => e.introduced = s,
            "fixed" => e.fixed = s,
            "last_affected" => e.last_affected = s,
            _ => e.limit = s,
        }
        e
    }

    fn entry(kind: &str, events: &[(&str, &str)], versions: &[&str]) -> Affected {
        Affected {
            package: None,
            ranges: vec![Range {
                kind: kind.into(),
                events: events.iter().map(|(k, v)| ev(k, v)).collect(),
            }],
            versions: versions.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn semver_ranges_with_prereleases() {
        let a = entry("SEMVER", &[("introduced", "1.0.0"), ("fixed", "1.2.3")], &[]);
        for (v, hit) in [
            ("0.9.9", false),
            ("1.0.0-rc.1", false),
            ("1.0.0", true),
            ("1.2.2", true),
            ("1.2.3-beta.1", true),
            ("1.2.3", false),
            ("2.0.0", false),
        ] {
            assert_eq!(affects("npm", &a, v), hit, "{v}");
        }
        // From zero, two intervals, and the order of events does not matter.
        let a = entry(
            "SEMVER",
            &[
                ("fixed", "2.3.0"),
                ("introduced", "0"),
                ("fixed", "1.5.0"),
                ("introduced", "2.0.0-alpha.1"),
            ],
            &[],
        );
        for (v, hit) in [
            ("0.0.1", true),
            ("1.4.9", true),
            ("1.5.0", false),
            ("1.9.0", false),
            ("2.0.0-alpha.0", false),
            ("2.0.0-alpha.1", true),
            ("2.0.0", true),
            ("2.3.0-rc.1", true),
            ("2.3.0", false),
        ] {
            assert_eq!(affects("crates.io", &a, v), hit, "{v}");
        }
        // last_affected is inclusive; limit is exclusive.
        let a = entry("SEMVER", &[("introduced", "1.0.0"), ("last_affected", "1.4.0")], &[]);
        assert!(affects("Trove", &a, "1.4.0"));
        assert!(!affects("Trove", &a, "1.4.1"));
        assert!(!affects("Trove", &a, "1.4.1-rc.1"));
        let a = entry("SEMVER", &[("introduced", "0"), ("limit", "3.0.0")], &[]);
        assert!(affects("npm", &a, "2.9.9") && !affects("npm", &a, "3.0.0"));
        // Open-ended: everything from the introduction on.
        let a = entry("ECOSYSTEM", &[("introduced", "0")], &[]);
        assert!(affects("npm", &a, "99.0.0"));
        // Explicit versions, build metadata ignored.
        let a = entry("SEMVER", &[], &["1.0.1", "1.0.3"]);
        assert!(affects("npm", &a, "1.0.3") && affects("npm", &a, "1.0.1+build.7") && !affects("npm", &a, "1.0.2"));
        // Unparsable versions match nothing instead of everything.
        let a = entry("SEMVER", &[("introduced", "0"), ("fixed", "1.0.0")], &[]);
        assert!(!affects("npm", &a, "not-a-version"));
        // Lenient semver for imported records.
        assert!(affects("npm", &a, "v0.9"));
    }

    #[test]
    fn pep440_ranges_with_prereleases() {
        let a = entry("ECOSYSTEM", &[("introduced", "1.0"), ("fixed", "2.0.1")], &[]);
        for (v, hit) in [
            ("0.9", false),
            ("1.0.dev1", false),
            ("1.0a1", false),
            ("1.0rc2", false),
            ("1.0", true),
            ("1.0.0", true),
            ("1.0.post1", true),
            ("2.0.1.dev0", true),
            ("2.0.1rc1", true),
            ("2.0.1", false),
            ("2.0.1.post1", false),
            ("2.0.1+local.1", false),
            ("2.0.0+ubuntu1", true),
        ] {
            assert_eq!(affects("PyPI", &a, v), hit, "{v}");
        }
        // PEP 440 spelling is normalized for explicit versions.
        let a = entry("ECOSYSTEM", &[], &["1.0.0a1", "2.0"]);
        assert!(affects("PyPI", &a, "1.0a1") && affects("PyPI", &a, "1.0.0-alpha.1") && affects("PyPI", &a, "2"));
        assert!(!affects("PyPI", &a, "1.0a2"));
        // PEP 440 order, not semver: 1.10 > 1.9, post-releases after the release.
        let a = entry("ECOSYSTEM", &[("introduced", "1.9"), ("last_affected", "1.10")], &[]);
        assert!(affects("PyPI", &a, "1.10") && !affects("PyPI", &a, "1.10.post1") && !affects("PyPI", &a, "1.8"));
        // An ecosystem whose order Trove does not know: only explicit versions match.
        let a = entry("ECOSYSTEM", &[("introduced", "0")], &["1.0"]);
        assert!(affects("Go", &a, "1.0") && !affects("Go", &a, "1.1"));
        let git = entry("GIT", &[("introduced", "0")], &[]);
        assert!(!affects("npm", &git, "1.0.0"));
    }

    #[test]
    fn npm_ranges() {
        let a = entry("SEMVER", &[("introduced", "0"), ("fixed", "1.2.3")], &[]);
        assert_eq!(npm_range(&[&a]), "<1.2.3");
        let a = entry(
            "SEMVER",
            &[
                ("introduced", "1.0.0"),
                ("fixed", "1.2.3"),
                ("introduced", "2.0.0"),
                ("last_affected", "2.1.0"),
            ],
            &["0.5.0"],
        );
        assert_eq!(npm_range(&[&a]), ">=1.0.0 <1.2.3 || >=2.0.0 <=2.1.0 || 0.5.0");
        let a = entry("SEMVER", &[("introduced", "1.0.0")], &[]);
        assert_eq!(npm_range(&[&a]), ">=1.0.0");
        let a = entry("SEMVER", &[("introduced", "0")], &[]);
        assert_eq!(npm_range(&[&a]), "*");
    }
}
