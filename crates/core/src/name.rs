//! Scope and package names: lowercase `[a-z0-9]` with inner `-`, `_`, `.`, 1–64 characters.
//! Uniqueness is decided on the normalized form, where `-`, `_` and `.` are equal.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("name must not be empty")]
    Empty,
    #[error("name `{0}` is longer than 64 characters")]
    TooLong(String),
    #[error("name `{0}` may only contain lowercase letters, digits and inner `-`, `_`, `.`")]
    InvalidChars(String),
    #[error("name `{0}` must start and end with a letter or digit")]
    BadEdge(String),
    #[error("name `{0}` is reserved")]
    Reserved(String),
    #[error("`{0}` is not of the form `scope/name`")]
    NotScoped(String),
}

/// Names nobody may take as a scope or a package name.
pub const RESERVED: &[&str] = &[
    "admin",
    "api",
    "v1",
    "v2",
    "login",
    "logout",
    "register",
    "settings",
    "dashboard",
    "search",
    "static",
    "assets",
    "health",
    "metrics",
    "new",
    "about",
    "help",
    "docs",
    "trove",
    "root",
    "system",
    "www",
    "security",
    "advisories",
    "org",
    "orgs",
    "user",
    "users",
    "package",
    "packages",
    "token",
    "tokens",
    "account",
    "auth",
    "oauth",
    "device",
    "explore",
    "_",
    "null",
    // Protocol front-ends' path prefixes (`/npm/…`).
    "npm",
];

/// The normalized form of a name: `-`, `_` and `.` all become `-`.
pub fn normalize(name: &str) -> String {
    name.chars()
        .map(|c| if c == '_' || c == '.' { '-' } else { c })
        .collect()
}

fn validate(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > 64 {
        return Err(NameError::TooLong(name.into()));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(NameError::InvalidChars(name.into()));
    }
    let edge_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !edge_ok(name.as_bytes()[0]) || !edge_ok(name.as_bytes()[name.len() - 1]) {
        return Err(NameError::BadEdge(name.into()));
    }
    if RESERVED.contains(&normalize(name).as_str()) {
        return Err(NameError::Reserved(name.into()));
    }
    Ok(())
}

macro_rules! name_type {
    ($t:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $t(String);

        impl $t {
            pub fn parse(s: &str) -> Result<Self, NameError> {
                validate(s)?;
                Ok(Self(s.to_string()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn normalized(&self) -> String {
                normalize(&self.0)
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $t {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                Self::parse(s)
            }
        }
    };
}

name_type!(ScopeName);
name_type!(PackageName);

/// Splits `scope/name` into its validated parts.
pub fn parse_full(full: &str) -> Result<(ScopeName, PackageName), NameError> {
    let (scope, name) = full.split_once('/').ok_or_else(|| NameError::NotScoped(full.into()))?;
    Ok((ScopeName::parse(scope)?, PackageName::parse(name)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_good_names() {
        for n in ["a", "foo", "foo-bar", "foo_bar", "foo.bar", "a1", "0x"] {
            assert!(PackageName::parse(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn refuses_bad_names() {
        assert_eq!(PackageName::parse(""), Err(NameError::Empty));
        assert!(matches!(PackageName::parse("Foo"), Err(NameError::InvalidChars(_))));
        assert!(matches!(PackageName::parse("-foo"), Err(NameError::BadEdge(_))));
        assert!(matches!(PackageName::parse("foo."), Err(NameError::BadEdge(_))));
        assert!(matches!(PackageName::parse("a/b"), Err(NameError::InvalidChars(_))));
        assert!(matches!(
            PackageName::parse(&"a".repeat(65)),
            Err(NameError::TooLong(_))
        ));
        assert!(matches!(ScopeName::parse("admin"), Err(NameError::Reserved(_))));
        assert!(matches!(ScopeName::parse("v2"), Err(NameError::Reserved(_))));
    }

    #[test]
    fn normalization_equates_separators() {
        assert_eq!(normalize("foo_bar"), normalize("foo-bar"));
        assert_eq!(normalize("foo.bar"), normalize("foo-bar"));
        assert_ne!(normalize("foobar"), normalize("foo-bar"));
    }

    #[test]
    fn parses_full_names() {
        let (s, n) = parse_full("acme/widget").unwrap();
        assert_eq!((s.as_str(), n.as_str()), ("acme", "widget"));
        assert!(matches!(parse_full("widget"), Err(NameError::NotScoped(_))));
    }
}
