//! Repository names, tags and references as the distribution spec writes them.

use super::codes;
use crate::{Result, ServiceError};
use std::fmt;
use trove_core::Digest;

/// A repository name: a Trove namespace, then the package name (which may contain `/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoName {
    full: String,
    split: usize,
}

/// Longest repository name accepted.
const MAX_NAME: usize = 255;

impl RepoName {
    /// Parses `namespace/name[/more]`: every component matches the spec's
    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`, and a namespace is required.
    pub fn parse(s: &str) -> Result<Self> {
        let invalid = |why: &str| {
            ServiceError::bad_request(
                codes::NAME_INVALID,
                format!(
                    "invalid repository name `{}`: {why}",
                    s.chars().take(300).collect::<String>()
                ),
            )
        };
        if s.is_empty() || s.len() > MAX_NAME {
            return Err(invalid("it must have 1 to 255 characters"));
        }
        let mut parts = 0;
        for c in s.split('/') {
            if !component_ok(c) {
                return Err(invalid(
                    "each path component must be lowercase letters and digits separated by `.`, `_`, `__` or dashes",
                ));
            }
            parts += 1;
        }
        if parts < 2 {
            return Err(invalid(
                "it must start with a namespace (your user or organization name), e.g. `alice/app`",
            ));
        }
        let split = s.find('/').expect("two components");
        Ok(RepoName {
            full: s.to_string(),
            split,
        })
    }

    /// The whole name, e.g. `acme/tools/app`.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The Trove namespace (`acme`).
    pub fn scope(&self) -> &str {
        &self.full[..self.split]
    }

    /// The package name inside the namespace (`tools/app`).
    pub fn name(&self) -> &str {
        &self.full[self.split + 1..]
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

fn component_ok(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: `.`, `_`, `__` or one or more `-`, between alphanumerics.
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// Whether `t` is a valid tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn tag_ok(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|&x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-'))
}

/// A digest from a URL or query, `DIGEST_INVALID` otherwise (also for algorithms other than
/// sha256 and sha512).
pub fn parse_digest(s: &str) -> Result<Digest> {
    Digest::parse(s).map_err(|_| {
        ServiceError::bad_request(
            codes::DIGEST_INVALID,
            format!(
                "invalid digest `{}`: expected sha256:<64 hex> or sha512:<128 hex>",
                s.chars().take(200).collect::<String>()
            ),
        )
    })
}

/// A manifest reference: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Tag(String),
    Digest(Digest),
}

impl Reference {
    /// Anything with a `:` is a digest; anything else must be a valid tag.
    pub fn parse(s: &str) -> Result<Self> {
        if s.contains(':') {
            return parse_digest(s).map(Reference::Digest);
        }
        if !tag_ok(s) {
            return Err(ServiceError::bad_request(
                codes::TAG_INVALID,
                format!(
                    "invalid tag `{}`: tags are 1 to 128 of `[A-Za-z0-9_.-]`, not starting with `.` or `-`",
                    s.chars().take(200).collect::<String>()
                ),
            ));
        }
        Ok(Reference::Tag(s.to_string()))
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Tag(t) => f.write_str(t),
            Reference::Digest(d) => write!(f, "{d}"),
        }
    }
}

/// Computes the digest of `bytes` with the same algorithm as `like`.
pub(crate) fn digest_like(like: &Digest, bytes: &[u8]) -> Digest {
    use sha2::Digest as _;
    match like.algorithm() {
        trove_core::digest::Algorithm::Sha256 => Digest::sha256_of(bytes),
        trove_core::digest::Algorithm::Sha512 => Digest::from_sha512_bytes(&sha2::Sha512::digest(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names() {
        let n = RepoName::parse("acme/tools/app").unwrap();
        assert_eq!((n.scope(), n.name()), ("acme", "tools/app"));
        for ok in ["a/b", "a0/b-c", "a/b__c", "a/b.c", "a/b---c/d"] {
            assert!(RepoName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "app", "A/b", "a//b", "a/b/", "/a/b", "a/-b", "a/b_-c", "a/b___c", "a/b..c", "a/b c",
        ] {
            let e = RepoName::parse(bad).unwrap_err();
            assert_eq!(e.code, codes::NAME_INVALID, "{bad}");
        }
        assert!(RepoName::parse(&format!("a/{}", "b".repeat(300))).is_err());
    }

    #[test]
    fn references() {
        assert_eq!(Reference::parse("latest").unwrap(), Reference::Tag("latest".into()));
        assert!(matches!(
            Reference::parse(&format!("sha256:{}", "a".repeat(64))),
            Ok(Reference::Digest(_))
        ));
        assert_eq!(Reference::parse("sha256:nope").unwrap_err().code, codes::DIGEST_INVALID);
        assert_eq!(Reference::parse(".hidden").unwrap_err().code, codes::TAG_INVALID);
        assert_eq!(Reference::parse(&"a".repeat(129)).unwrap_err().code, codes::TAG_INVALID);
        assert!(tag_ok("_x") && tag_ok("v1.0-rc_1") && !tag_ok("-x") && !tag_ok(""));
    }
}
