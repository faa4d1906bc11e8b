//! Versions: semver for native packages, npm and Cargo; PEP 440 for PyPI (through the
//! `pep440_rs` crate). Each ecosystem parses, orders and compares its versions by its own
//! rules; OCI tags are names, not versions, and have no order.

/// The key that decides whether two versions are "the same number": build metadata is ignored,
/// so `1.0.0+a` and `1.0.0+b` cannot both be published.
pub fn version_key(v: &semver::Version) -> String {
    let mut v = v.clone();
    v.build = semver::BuildMetadata::EMPTY;
    v.to_string()
}

/// Parses a version strictly (no leading `v`, no whitespace).
pub fn parse_version(s: &str) -> Result<semver::Version, String> {
    semver::Version::parse(s).map_err(|e| format!("`{s}` is not a valid semver 2.0 version: {e}"))
}

/// A version in its ecosystem's scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EcoVersion {
    Semver(semver::Version),
    Pep440(pep440_rs::Version),
}

impl EcoVersion {
    /// Parses `s` by the rules of `ecosystem`.
    pub fn parse(ecosystem: crate::Ecosystem, s: &str) -> Result<EcoVersion, String> {
        use crate::Ecosystem as E;
        match ecosystem {
            E::Native | E::Npm | E::Cargo => parse_version(s).map(EcoVersion::Semver),
            E::Pypi => {
                let v: pep440_rs::Version = s
                    .trim()
                    .parse()
                    .map_err(|e| format!("`{s}` is not a valid PEP 440 version: {e}"))?;
                if !v.local().is_empty() {
                    return Err(format!(
                        "`{s}` has a local version label (`+…`), which indexes do not accept (PEP 440)"
                    ));
                }
                Ok(EcoVersion::Pep440(v))
            }
            E::Oci => Err("OCI tags are names, not versions".into()),
        }
    }

    /// What makes two versions "the same number" (unique per package): semver without build
    /// metadata; for PEP 440 the canonical form PyPI uses (`packaging`'s
    /// `canonicalize_version`): normalized spelling and no trailing zero release segments, so
    /// `1.0`, `1.0.0` and `1` are one release, as are `1.0a1`, `1.0.0-alpha.1` and `1.0A1`;
    /// `1.0.post0` is another.
    pub fn key(&self) -> String {
        match self {
            EcoVersion::Semver(v) => version_key(v),
            EcoVersion::Pep440(v) => {
                let release = v.release();
                let keep = release.iter().rposition(|&n| n != 0).map_or(1, |i| i + 1);
                v.clone().with_release(release[..keep].to_vec()).to_string()
            }
        }
    }

    /// A pre-release (semver `-…`; PEP 440 `a`, `b`, `rc` and `.dev`).
    pub fn is_prerelease(&self) -> bool {
        match self {
            EcoVersion::Semver(v) => !v.pre.is_empty(),
            EcoVersion::Pep440(v) => v.any_prerelease(),
        }
    }
}

impl std::fmt::Display for EcoVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EcoVersion::Semver(v) => v.fmt(f),
            EcoVersion::Pep440(v) => v.fmt(f),
        }
    }
}

impl PartialOrd for EcoVersion {
    /// Versions of one scheme are ordered by its rules; versions of different schemes are not
    /// comparable.
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (EcoVersion::Semver(a), EcoVersion::Semver(b)) => Some(a.cmp(b)),
            (EcoVersion::Pep440(a), EcoVersion::Pep440(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_metadata_ignored() {
        let a = parse_version("1.0.0+a").unwrap();
        let b = parse_version("1.0.0+b").unwrap();
        assert_eq!(version_key(&a), version_key(&b));
        assert!(parse_version("v1.0").is_err());
        assert!(parse_version("1.0").is_err());
    }

    #[test]
    fn each_ecosystem_orders_by_its_rules() {
        use crate::Ecosystem as E;
        let py = |s: &str| EcoVersion::parse(E::Pypi, s).unwrap();
        // PEP 440: dev < pre < final < post, and normalization.
        let mut vs: Vec<EcoVersion> = ["1.0.post1", "1.0", "1.0rc1", "1.0.dev3", "1.0a2", "0.9", "1.0b1"]
            .iter()
            .map(|s| py(s))
            .collect();
        vs.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let order: Vec<String> = vs.iter().map(|v| v.to_string()).collect();
        assert_eq!(
            order,
            ["0.9", "1.0.dev3", "1.0a2", "1.0b1", "1.0rc1", "1.0", "1.0.post1"]
        );
        assert_eq!(py("1.0.0-ALPHA.1").key(), py("1.0.0a1").key());
        // One release however many trailing zeros (PyPI's canonical form); post0 is another.
        assert_eq!(py("1.0.0").key(), py("1").key());
        assert_eq!(py("1.0.0c1").key(), "1rc1");
        assert_eq!(py("0.0").key(), "0");
        assert_ne!(py("1.0.post0").key(), py("1.0").key());
        assert_ne!(py("1.0.1").key(), py("1.0").key());
        assert_eq!(py("v2.1").to_string(), "2.1");
        assert!(py("1.0rc1").is_prerelease() && py("1.0.dev1").is_prerelease() && !py("1.0.post1").is_prerelease());
        assert!(EcoVersion::parse(E::Pypi, "1.0+local").is_err());
        assert!(EcoVersion::parse(E::Pypi, "not a version").is_err());
        // Semver for the others; build metadata ignored for uniqueness.
        let n = |s: &str| EcoVersion::parse(E::Native, s).unwrap();
        assert!(n("1.0.0-rc.1") < n("1.0.0"));
        assert_eq!(n("1.0.0+a").key(), n("1.0.0+b").key());
        assert!(EcoVersion::parse(E::Cargo, "1.0").is_err());
        assert!(EcoVersion::parse(E::Oci, "latest").is_err());
        // Schemes do not mix.
        assert_eq!(n("1.0.0").partial_cmp(&py("1.0")), None);
    }
}
