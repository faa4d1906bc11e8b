//! `trove.lock`: the exact versions and archive digests an install used, so the next install
//! gets byte-for-byte the same packages.
//!
//! ```toml
//! version = 1
//!
//! [[package]]
//! name = "alice/a"
//! version = "1.0.0"
//! digest = "sha256:…"
//! dependencies = ["alice/b 1.0.0"]
//! ```

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use trove_core::name::normalize;

pub const LOCK_FILE: &str = "trove.lock";
const FORMAT_VERSION: u32 = 1;
const HEADER: &str = "# trove.lock: written by `trove install`. Commit it; do not edit it by hand.\n";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockfile {
    pub version: u32,
    #[serde(rename = "package", default)]
    pub packages: Vec<LockedPackage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    /// `sha256:<hex>` of the archive.
    pub digest: String,
    /// `name version` of each dependency, sorted.
    #[serde(default)]
    pub dependencies: Vec<String>,
}

impl Default for Lockfile {
    fn default() -> Self {
        Lockfile {
            version: FORMAT_VERSION,
            packages: Vec::new(),
        }
    }
}

impl Lockfile {
    /// Reads `dir/trove.lock`; `None` when there is none.
    pub fn read(dir: &Path) -> anyhow::Result<Option<Lockfile>> {
        let path = dir.join(LOCK_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Self::parse(&text).map(Some).with_context(|| {
            format!(
                "{} is not a valid lock file (delete it to resolve afresh)",
                path.display()
            )
        })
    }

    pub fn parse(text: &str) -> anyhow::Result<Lockfile> {
        let lock: Lockfile = toml::from_str(text)?;
        if lock.version != FORMAT_VERSION {
            bail!(
                "lock file format {} is not supported (this trove writes format {FORMAT_VERSION})",
                lock.version
            );
        }
        for p in &lock.packages {
            trove_core::name::parse_full(&p.name).map_err(|e| anyhow::anyhow!("package `{}`: {e}", p.name))?;
            semver::Version::parse(&p.version)
                .map_err(|e| anyhow::anyhow!("`{}` has an invalid version `{}`: {e}", p.name, p.version))?;
            trove_core::Digest::parse(&p.digest)
                .map_err(|e| anyhow::anyhow!("`{}` has an invalid digest: {e}", p.name))?;
        }
        Ok(lock)
    }

    pub fn render(&self) -> String {
        let mut sorted = self.clone();
        sorted.packages.sort_by_key(|p| normalize(&p.name));
        format!("{HEADER}{}", toml::to_string(&sorted).unwrap_or_default())
    }

    /// Writes `dir/trove.lock` (through a temporary file, so a crash leaves the old one).
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(LOCK_FILE);
        let tmp = dir.join(format!(".{LOCK_FILE}.tmp"));
        std::fs::write(&tmp, self.render()).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }

    /// Normalized name → locked entry.
    pub fn by_name(&self) -> BTreeMap<String, &LockedPackage> {
        self.packages.iter().map(|p| (normalize(&p.name), p)).collect()
    }

    /// Whether both lock the same packages at the same versions and digests.
    pub fn same_as(&self, other: &Lockfile) -> bool {
        self.render() == other.render()
    }

    /// Human lines describing how `new` differs from `self`.
    pub fn diff(&self, new: &Lockfile) -> Vec<String> {
        let (old, new) = (self.by_name(), new.by_name());
        let mut out = Vec::new();
        for (k, n) in &new {
            match old.get(k) {
                None => out.push(format!("+ {} {}", n.name, n.version)),
                Some(o) if o.version != n.version => out.push(format!("~ {} {} -> {}", n.name, o.version, n.version)),
                Some(o) if o.digest != n.digest || o.dependencies != n.dependencies => {
                    out.push(format!("~ {} {} (digest or dependencies changed)", n.name, n.version))
                }
                _ => {}
            }
        }
        for (k, o) in &old {
            if !new.contains_key(k) {
                out.push(format!("- {} {}", o.name, o.version));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, version: &str, deps: &[&str]) -> LockedPackage {
        LockedPackage {
            name: name.into(),
            version: version.into(),
            digest: format!("sha256:{}", "ab".repeat(32)),
            dependencies: deps.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn round_trips_sorted() {
        let lock = Lockfile {
            version: 1,
            packages: vec![entry("x/b", "1.0.0", &[]), entry("x/a", "1.0.0", &["x/b 1.0.0"])],
        };
        let text = lock.render();
        assert!(text.starts_with("# trove.lock"));
        assert!(
            text.find("x/a").unwrap() < text.find("name = \"x/b\"").unwrap(),
            "{text}"
        );
        let back = Lockfile::parse(&text).unwrap();
        assert!(back.same_as(&lock));
        assert_eq!(back.packages[0].dependencies, ["x/b 1.0.0"]);
    }

    #[test]
    fn rejects_bad_lock_files() {
        assert!(Lockfile::parse("version = 2").is_err());
        let bad_digest = "version = 1\n[[package]]\nname = \"x/a\"\nversion = \"1.0.0\"\ndigest = \"md5:00\"\n";
        assert!(Lockfile::parse(bad_digest).is_err());
        let bad_name = "version = 1\n[[package]]\nname = \"../a\"\nversion = \"1.0.0\"\ndigest = \"sha256:00\"\n";
        assert!(Lockfile::parse(bad_name).is_err());
    }

    #[test]
    fn diffs_are_readable() {
        let old = Lockfile {
            version: 1,
            packages: vec![entry("x/a", "1.0.0", &[]), entry("x/gone", "1.0.0", &[])],
        };
        let new = Lockfile {
            version: 1,
            packages: vec![entry("x/a", "1.1.0", &[]), entry("x/new", "2.0.0", &[])],
        };
        assert_eq!(
            old.diff(&new),
            ["~ x/a 1.0.0 -> 1.1.0", "+ x/new 2.0.0", "- x/gone 1.0.0"]
        );
    }
}
