//! Semver helpers.

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
}
