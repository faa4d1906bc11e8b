//! The publish metadata cargo sends (the JSON half of `PUT /api/v1/crates/new`) and the index
//! entry built from it: one JSON line per version in the sparse index, stored as the
//! version's manifest when it is published and served unchanged ever after (only `yanked`
//! follows the version's state).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `PUT /api/v1/crates/new` metadata (cargo's `NewCrate`).
#[derive(Debug, Clone, Deserialize)]
pub struct NewCrate {
    pub name: String,
    pub vers: String,
    #[serde(default)]
    pub deps: Vec<NewDep>,
    #[serde(default)]
    pub features: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub authors: Vec<String>,
    pub description: Option<String>,
    pub documentation: Option<String>,
    pub homepage: Option<String>,
    /// The readme's contents.
    pub readme: Option<String>,
    pub readme_file: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    pub license: Option<String>,
    pub license_file: Option<String>,
    pub repository: Option<String>,
    pub links: Option<String>,
    pub rust_version: Option<String>,
}

/// A dependency as cargo sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct NewDep {
    /// The depended-on crate's real name.
    pub name: String,
    pub version_req: String,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default = "yes")]
    pub default_features: bool,
    pub target: Option<String>,
    pub kind: Option<String>,
    /// The index URL of another registry; `None` for this one.
    pub registry: Option<String>,
    /// The name the dependency has in Cargo.toml when it is renamed (`package = …`).
    pub explicit_name_in_toml: Option<String>,
}

fn yes() -> bool {
    true
}

/// One line of an index file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub name: String,
    pub vers: String,
    pub deps: Vec<IndexDep>,
    pub cksum: String,
    pub features: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features2: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    pub yanked: bool,
    #[serde(default)]
    pub links: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<u32>,
}

/// A dependency in an index line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexDep {
    /// The name in Cargo.toml (the rename, when there is one).
    pub name: String,
    pub req: String,
    pub features: Vec<String>,
    pub optional: bool,
    pub default_features: bool,
    pub target: Option<String>,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// The real name of a renamed dependency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

impl NewCrate {
    /// Parses and checks the metadata; the message says what is wrong.
    pub fn parse(json: &[u8]) -> Result<NewCrate, String> {
        let m: NewCrate = serde_json::from_slice(json).map_err(|e| format!("invalid publish metadata JSON: {e}"))?;
        crate::names::check_crate_name(&m.name)?;
        semver::Version::parse(&m.vers).map_err(|e| format!("`{}` is not a valid semver version: {e}", m.vers))?;
        for d in &m.deps {
            d.check()?;
        }
        for (feature, values) in &m.features {
            if feature.is_empty() || feature.len() > 100 || values.iter().any(|v| v.is_empty() || v.len() > 200) {
                return Err(format!("feature `{feature}` has an invalid name or value"));
            }
        }
        Ok(m)
    }

    /// The version as published (with its build metadata, if any).
    pub fn version(&self) -> semver::Version {
        semver::Version::parse(&self.vers).expect("checked by parse")
    }

    /// The index line of this version (`yanked: false`); `cksum` is the `.crate`'s sha256.
    /// Features using `dep:` or `?/` go to `features2` with `v: 2`, as crates.io does, so
    /// that older cargo versions skip what they cannot read.
    pub fn index_entry(&self, cksum: &str) -> IndexEntry {
        let (new_syntax, plain): (BTreeMap<_, _>, BTreeMap<_, _>) = self
            .features
            .clone()
            .into_iter()
            .partition(|(_, values)| values.iter().any(|v| v.starts_with("dep:") || v.contains("?/")));
        let deps = self.deps.iter().map(NewDep::index_dep).collect();
        IndexEntry {
            name: self.name.clone(),
            vers: self.vers.clone(),
            deps,
            cksum: cksum.to_string(),
            features: plain,
            v: (!new_syntax.is_empty()).then_some(2),
            features2: (!new_syntax.is_empty()).then_some(new_syntax),
            yanked: false,
            links: self.links.clone(),
            rust_version: self.rust_version.clone(),
        }
    }

    /// Normal dependencies by real name with their requirement (Trove's dependency map).
    pub fn dependency_map(&self) -> BTreeMap<String, String> {
        self.deps
            .iter()
            .filter(|d| d.kind.as_deref().is_none_or(|k| k == "normal"))
            .map(|d| (d.name.clone(), d.version_req.clone()))
            .collect()
    }
}

impl NewDep {
    fn check(&self) -> Result<(), String> {
        let ok_name = |n: &str| {
            !n.is_empty() && n.len() <= 64 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !ok_name(&self.name) || self.explicit_name_in_toml.as_deref().is_some_and(|n| !ok_name(n)) {
            return Err(format!("dependency `{}` has an invalid name", self.name));
        }
        semver::VersionReq::parse(&self.version_req).map_err(|e| {
            format!(
                "dependency `{}` has an invalid version requirement `{}`: {e}",
                self.name, self.version_req
            )
        })?;
        if !matches!(self.kind.as_deref(), None | Some("normal" | "dev" | "build")) {
            return Err(format!("dependency `{}` has an unknown kind", self.name));
        }
        Ok(())
    }

    fn index_dep(&self) -> IndexDep {
        let (name, package) = match &self.explicit_name_in_toml {
            Some(alias) => (alias.clone(), Some(self.name.clone())),
            None => (self.name.clone(), None),
        };
        IndexDep {
            name,
            req: self.version_req.clone(),
            features: self.features.clone(),
            optional: self.optional,
            default_features: self.default_features,
            target: self.target.clone(),
            kind: self.kind.clone().unwrap_or_else(|| "normal".into()),
            registry: self.registry.clone(),
            package,
        }
    }
}

/// Checks that the `.crate`'s own `Cargo.toml` is the package the metadata names.
pub fn check_cargo_toml(text: &str, meta: &NewCrate) -> Result<(), String> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e| format!("the .crate's Cargo.toml is not valid TOML: {e}"))?;
    let package = doc
        .get("package")
        .and_then(|p| p.as_table())
        .ok_or("the .crate's Cargo.toml has no [package] table")?;
    let name = package.get("name").and_then(|v| v.as_str()).unwrap_or_default();
    if name != meta.name {
        return Err(format!(
            "the .crate's Cargo.toml names the package `{name}`, but the crate is published as `{}`",
            meta.name
        ));
    }
    let version = package.get("version").and_then(|v| v.as_str()).unwrap_or_default();
    if semver::Version::parse(version).ok() != Some(meta.version()) {
        return Err(format!(
            "the .crate's Cargo.toml has version `{version}`, but the crate is published as {}",
            meta.vers
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(v: serde_json::Value) -> NewCrate {
        NewCrate::parse(&serde_json::to_vec(&v).unwrap()).unwrap()
    }

    #[test]
    fn builds_index_lines() {
        let m = meta(json!({
            "name": "My_Crate", "vers": "1.2.0+build.5",
            "deps": [
                {"name": "serde", "version_req": "^1", "features": ["derive"], "optional": true,
                 "default_features": false, "target": null, "kind": "normal",
                 "registry": "https://github.com/rust-lang/crates.io-index"},
                {"name": "core-lib", "version_req": "^0.1", "features": [], "optional": false,
                 "default_features": true, "target": "cfg(unix)", "kind": "dev",
                 "explicit_name_in_toml": "corelib"}
            ],
            "features": {"default": ["std"], "std": [], "json": ["dep:serde", "serde?/std"]},
            "links": null, "rust_version": "1.70"
        }));
        let e = m.index_entry("abc");
        let line = serde_json::to_value(&e).unwrap();
        assert_eq!(line["name"], "My_Crate");
        assert_eq!(line["vers"], "1.2.0+build.5");
        assert_eq!(
            line["deps"][0]["registry"],
            "https://github.com/rust-lang/crates.io-index"
        );
        assert_eq!(line["deps"][0]["req"], "^1");
        assert!(line["deps"][0].get("package").is_none());
        assert_eq!(line["deps"][1]["name"], "corelib");
        assert_eq!(line["deps"][1]["package"], "core-lib");
        assert_eq!(line["deps"][1]["kind"], "dev");
        assert_eq!(line["features"], json!({"default": ["std"], "std": []}));
        assert_eq!(line["features2"], json!({"json": ["dep:serde", "serde?/std"]}));
        assert_eq!(line["v"], 2);
        assert_eq!(line["rust_version"], "1.70");
        assert_eq!(line["yanked"], false);
        assert!(line.get("links").is_some());
        let back: IndexEntry = serde_json::from_value(line).unwrap();
        assert_eq!(back, e);
        assert_eq!(m.dependency_map().len(), 1);
    }

    #[test]
    fn refuses_bad_metadata() {
        let bad = |v: serde_json::Value| NewCrate::parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(NewCrate::parse(b"{not json").unwrap_err().contains("JSON"));
        assert!(bad(json!({"name": "a b", "vers": "1.0.0"})).contains("may only"));
        assert!(bad(json!({"name": "ab", "vers": "1.0"})).contains("semver"));
        let dep = json!({"name": "x", "version_req": "not a req"});
        assert!(bad(json!({"name": "ab", "vers": "1.0.0", "deps": [dep]})).contains("requirement"));
    }

    #[test]
    fn cargo_toml_must_match() {
        let m = meta(json!({"name": "foo", "vers": "1.0.0"}));
        assert!(check_cargo_toml("[package]\nname = \"foo\"\nversion = \"1.0.0\"\n", &m).is_ok());
        assert!(check_cargo_toml("[package]\nname = \"bar\"\nversion = \"1.0.0\"\n", &m)
            .unwrap_err()
            .contains("`bar`"));
        assert!(check_cargo_toml("[package]\nname = \"foo\"\nversion = \"1.0.1\"\n", &m).is_err());
        assert!(check_cargo_toml("not toml [", &m).is_err());
    }
}
