//! npm names onto Trove names.
//!
//! - `@scope/name` is the Trove package `scope/name` (ecosystem `npm`); the scope is a Trove
//!   user or organization.
//! - An unscoped `name` is `<unscoped_namespace>/name`, when `[npm] unscoped_namespace` names
//!   the user or organization that owns unscoped names. Its packages are then served only
//!   unscoped (`@<that namespace>/x` is not found), so no package answers to two npm names.
//!   Without it, unscoped names are not served.
//!
//! Both parts follow Trove's name rules (lowercase letters, digits and inner `-`, `_`, `.`,
//! at most 64 characters), stricter than npm's.

use crate::errors::NpmError;
use trove_core::name::{PackageName, ScopeName};

/// A package name as npm and Trove know it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NpmName {
    /// The Trove namespace.
    pub scope: String,
    pub name: String,
    /// Whether npm names it `@scope/name` (else it is unscoped).
    pub scoped: bool,
}

impl NpmName {
    /// Maps an npm name onto Trove's, given the namespace owning unscoped names.
    pub fn parse(npm: &str, unscoped_namespace: Option<&str>) -> Result<NpmName, NpmError> {
        let invalid = |why: String| {
            NpmError::bad_request(
                "invalid_name",
                format!("`{npm}` is not a valid package name here: {why}"),
            )
        };
        let (scope, name, scoped) = match npm.strip_prefix('@') {
            Some(rest) => {
                let (scope, name) = rest
                    .split_once('/')
                    .ok_or_else(|| invalid("a scoped name is `@scope/name`".into()))?;
                if unscoped_namespace == Some(scope) {
                    return Err(NpmError::not_found(format!(
                        "packages of `{scope}` are served by their unscoped names: use `{name}`"
                    )));
                }
                (scope, name, true)
            }
            None => {
                let Some(ns) = unscoped_namespace else {
                    return Err(NpmError::not_found(format!(
                        "`{npm}` not found: this registry serves scoped packages (`@scope/name`) only"
                    )));
                };
                (ns, npm, false)
            }
        };
        ScopeName::parse(scope).map_err(|e| invalid(e.to_string()))?;
        PackageName::parse(name).map_err(|e| invalid(e.to_string()))?;
        Ok(NpmName {
            scope: scope.to_string(),
            name: name.to_string(),
            scoped,
        })
    }

    /// The npm name of a Trove package, if npm can address it (not an unscoped-namespace
    /// package under its scope).
    pub fn of_package(scope: &str, name: &str, unscoped_namespace: Option<&str>) -> NpmName {
        NpmName {
            scope: scope.to_string(),
            name: name.to_string(),
            scoped: unscoped_namespace != Some(scope),
        }
    }

    /// `@scope/name`, or the unscoped name.
    pub fn npm(&self) -> String {
        if self.scoped {
            format!("@{}/{}", self.scope, self.name)
        } else {
            self.name.clone()
        }
    }

    /// The Trove `scope/name`.
    pub fn full(&self) -> String {
        format!("{}/{}", self.scope, self.name)
    }
}

/// The Trove name a dependency's npm name stands for, where it maps onto one (scoped names;
/// unscoped ones with an unscoped namespace); else the npm name itself.
pub fn dependency_key(npm: &str, unscoped_namespace: Option<&str>) -> String {
    match NpmName::parse(npm, unscoped_namespace) {
        Ok(n) => n.full(),
        Err(_) => npm.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_and_unscoped() {
        let n = NpmName::parse("@acme/left-pad", None).unwrap();
        assert_eq!(
            (n.scope.as_str(), n.name.as_str(), n.scoped),
            ("acme", "left-pad", true)
        );
        assert_eq!(n.npm(), "@acme/left-pad");
        assert_eq!(n.full(), "acme/left-pad");
        assert_eq!(NpmName::parse("left-pad", None).unwrap_err().status, 404);
        let u = NpmName::parse("left-pad", Some("internal")).unwrap();
        assert_eq!(
            (u.full(), u.npm()),
            ("internal/left-pad".to_string(), "left-pad".to_string())
        );
        // The unscoped namespace's packages have one npm name.
        assert_eq!(
            NpmName::parse("@internal/left-pad", Some("internal"))
                .unwrap_err()
                .status,
            404
        );
        assert_eq!(NpmName::of_package("internal", "x", Some("internal")).npm(), "x");
        assert_eq!(NpmName::of_package("acme", "x", Some("internal")).npm(), "@acme/x");
        for bad in [
            "@acme",
            "@acme/",
            "@/x",
            "@acme/Left",
            "@acme/a/b",
            "@ACME/x",
            "@acme/.x",
        ] {
            assert_eq!(NpmName::parse(bad, Some("internal")).unwrap_err().status, 400, "{bad}");
        }
        assert_eq!(dependency_key("@acme/x", None), "acme/x");
        assert_eq!(dependency_key("lodash", None), "lodash");
        assert_eq!(dependency_key("lodash", Some("internal")), "internal/lodash");
    }
}
