//! The lock files `trove audit` reads, each into the exact package versions it pins, named
//! as OSV names them: `trove.lock` (ecosystem `Trove`, `scope/name`), npm's
//! `package-lock.json` (v2/v3 `packages`; `npm`), `Cargo.lock` (crates from a registry;
//! `crates.io`), `uv.lock` (packages from an index; `PyPI`) and `requirements.txt` (`==`
//! pins, read as PEP 508 requirements; `PyPI`).

use anyhow::{bail, Context};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A lock file's format, known by its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Trove,
    NpmLock,
    CargoLock,
    UvLock,
    Requirements,
}

/// The lock files looked for in a project directory when none is named, in this order.
pub const KNOWN: &[(&str, Format)] = &[
    ("trove.lock", Format::Trove),
    ("package-lock.json", Format::NpmLock),
    ("Cargo.lock", Format::CargoLock),
    ("uv.lock", Format::UvLock),
    ("requirements.txt", Format::Requirements),
];

/// One pinned package version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Locked {
    /// The OSV ecosystem.
    pub ecosystem: &'static str,
    pub name: String,
    pub version: String,
}

/// What a lock file pins, sorted and without repeats; `skipped` counts entries that pin no
/// registry version (workspace members, links, git or path sources, unpinned requirements).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pins {
    pub packages: Vec<Locked>,
    pub skipped: usize,
}

impl Format {
    /// The format of a file by its name (`requirements*.txt` are requirements files).
    pub fn of(path: &Path) -> anyhow::Result<Format> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if let Some((_, f)) = KNOWN.iter().find(|(n, _)| *n == name) {
            return Ok(*f);
        }
        if name.starts_with("requirements") && name.ends_with(".txt") {
            return Ok(Format::Requirements);
        }
        bail!(
            "`{}` is not a lock file trove audit reads: name it trove.lock, package-lock.json, Cargo.lock, uv.lock or requirements*.txt",
            path.display()
        )
    }

    pub fn ecosystem(self) -> &'static str {
        match self {
            Format::Trove => "Trove",
            Format::NpmLock => "npm",
            Format::CargoLock => "crates.io",
            Format::UvLock | Format::Requirements => "PyPI",
        }
    }

    /// Reads the pins of `text` in this format.
    pub fn parse(self, text: &str) -> anyhow::Result<Pins> {
        let eco = self.ecosystem();
        let (pairs, skipped) = match self {
            Format::Trove => trove_lock(text)?,
            Format::NpmLock => npm_lock(text)?,
            Format::CargoLock => cargo_lock(text)?,
            Format::UvLock => uv_lock(text)?,
            Format::Requirements => requirements(text)?,
        };
        let set: BTreeSet<Locked> = pairs
            .into_iter()
            .map(|(name, version)| Locked {
                ecosystem: eco,
                name,
                version,
            })
            .collect();
        Ok(Pins {
            packages: set.into_iter().collect(),
            skipped,
        })
    }
}

/// Reads a lock file, its format known by its name.
pub fn read(path: &Path) -> anyhow::Result<Pins> {
    let format = Format::of(path)?;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    format
        .parse(&text)
        .with_context(|| format!("{} is not a valid {}", path.display(), path_kind(format)))
}

fn path_kind(f: Format) -> &'static str {
    match f {
        Format::Trove => "trove.lock",
        Format::NpmLock => "package-lock.json",
        Format::CargoLock => "Cargo.lock",
        Format::UvLock => "uv.lock",
        Format::Requirements => "requirements file",
    }
}

/// The known lock files present in `dir`.
pub fn find(dir: &Path) -> Vec<PathBuf> {
    KNOWN.iter().map(|(n, _)| dir.join(n)).filter(|p| p.is_file()).collect()
}

type Pairs = (Vec<(String, String)>, usize);

fn trove_lock(text: &str) -> anyhow::Result<Pairs> {
    let lock = crate::lockfile::Lockfile::parse(text)?;
    Ok((lock.packages.into_iter().map(|p| (p.name, p.version)).collect(), 0))
}

/// npm 7+ lock files (`lockfileVersion` 2 or 3): every entry of `packages` but the root
/// (`""`), links to workspace folders and entries without a version. The name is the entry's
/// own `name` (an alias installs a package under another folder name), else the path after
/// its last `node_modules/`.
fn npm_lock(text: &str) -> anyhow::Result<Pairs> {
    #[derive(Deserialize)]
    struct Lock {
        #[serde(rename = "lockfileVersion")]
        lockfile_version: u32,
        #[serde(default)]
        packages: std::collections::BTreeMap<String, Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        name: Option<String>,
        version: Option<String>,
        #[serde(default)]
        link: bool,
    }
    let lock: Lock = serde_json::from_str(text)?;
    if lock.lockfile_version < 2 {
        bail!(
            "lockfileVersion {} has no `packages` list: run `npm install` with npm 7 or later to upgrade it",
            lock.lockfile_version
        );
    }
    let mut out = Vec::new();
    let mut skipped = 0;
    for (path, e) in lock.packages {
        let Some(folder) = path.rfind("node_modules/").map(|i| &path[i + "node_modules/".len()..]) else {
            if !path.is_empty() {
                skipped += 1; // a workspace folder
            }
            continue;
        };
        match (e.link, e.version) {
            (false, Some(v)) if !v.starts_with("file:") => {
                out.push((e.name.unwrap_or_else(|| folder.to_string()), v));
            }
            _ => skipped += 1,
        }
    }
    Ok((out, skipped))
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "S: Deserialize<'de>"))]
struct TomlLock<S> {
    #[serde(default, rename = "package")]
    packages: Vec<TomlPackage<S>>,
}

#[derive(Deserialize)]
struct TomlPackage<S> {
    name: String,
    version: Option<String>,
    source: Option<S>,
}

/// Crates that come from a registry (`registry+…` or `sparse+…` sources); workspace members,
/// path and git dependencies are skipped.
fn cargo_lock(text: &str) -> anyhow::Result<Pairs> {
    let lock: TomlLock<String> = toml::from_str(text)?;
    let mut out = Vec::new();
    let mut skipped = 0;
    for p in lock.packages {
        match (p.source, p.version) {
            (Some(s), Some(v)) if s.starts_with("registry+") || s.starts_with("sparse+") => out.push((p.name, v)),
            _ => skipped += 1,
        }
    }
    Ok((out, skipped))
}

/// Packages uv locked from an index (`source = { registry = … }`); the project itself
/// (`virtual`, `editable`), paths, URLs and git sources are skipped.
fn uv_lock(text: &str) -> anyhow::Result<Pairs> {
    #[derive(Deserialize)]
    struct Source {
        registry: Option<String>,
    }
    let lock: TomlLock<Source> = toml::from_str(text)?;
    let mut out = Vec::new();
    let mut skipped = 0;
    for p in lock.packages {
        match (p.source.and_then(|s| s.registry), p.version) {
            (Some(_), Some(v)) => out.push((p.name, v)),
            _ => skipped += 1,
        }
    }
    Ok((out, skipped))
}

/// `name==version` requirements (also `===`, with extras and markers); options (`-r`, `-e`,
/// `--index-url`, `--hash`), comments and requirements that pin nothing exactly are skipped.
fn requirements(text: &str) -> anyhow::Result<Pairs> {
    use pep508_rs::pep440_rs::Operator;
    let mut out = Vec::new();
    let mut skipped = 0;
    for (n, line) in logical_lines(text) {
        let line = strip_comment(&line);
        // Per-requirement options (`--hash=…`) follow the requirement.
        let line = line.split(" --").next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('-') {
            skipped += 1;
            continue;
        }
        let req = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(line)
            .map_err(|e| anyhow::anyhow!("line {n}: {e}"))?;
        let pinned = match &req.version_or_url {
            Some(pep508_rs::VersionOrUrl::VersionSpecifier(specs)) if specs.len() == 1 => {
                let s = &specs[0];
                matches!(s.operator(), Operator::Equal | Operator::ExactEqual).then(|| s.version().to_string())
            }
            _ => None,
        };
        match pinned {
            Some(v) => out.push((req.name.to_string(), v)),
            None => skipped += 1,
        }
    }
    Ok((out, skipped))
}

/// Lines joined where one ends with a backslash, with the number of their first line.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let (n, mut acc) = current.take().unwrap_or((i + 1, String::new()));
        match raw.strip_suffix('\\') {
            Some(part) => {
                acc.push_str(part);
                acc.push(' ');
                current = Some((n, acc));
            }
            None => {
                acc.push_str(raw);
                out.push((n, acc));
            }
        }
    }
    if let Some(last) = current {
        out.push(last);
    }
    out
}

/// Drops a `#` comment (at the start, or after whitespace: `#` inside a URL stays).
fn strip_comment(line: &str) -> String {
    let t = line.trim_start();
    if t.starts_with('#') {
        return String::new();
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => line[..i].to_string(),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/locks")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn pins(format: Format, text: &str) -> (Vec<String>, usize) {
        let p = format.parse(text).unwrap();
        (
            p.packages
                .iter()
                .map(|l| format!("{} {} {}", l.ecosystem, l.name, l.version))
                .collect(),
            p.skipped,
        )
    }

    /// Made by `npm install --package-lock-only lodash@4.17.20 minimist@1.2.5
    /// @babel/code-frame@7.12.13` (npm 10, lockfileVersion 3).
    #[test]
    fn npm_package_lock() {
        let (got, skipped) = pins(Format::NpmLock, &data("package-lock.json"));
        assert_eq!(got.len(), 14, "{got:?}");
        assert_eq!(skipped, 0);
        for want in [
            "npm @babel/code-frame 7.12.13",
            "npm lodash 4.17.20",
            "npm minimist 1.2.5",
            "npm @babel/highlight 7.25.9",
        ] {
            assert!(got.contains(&want.to_string()), "{want} in {got:?}");
        }
    }

    #[test]
    fn npm_nested_aliased_linked_and_old_locks() {
        let text = r#"{ "name": "app", "lockfileVersion": 2, "packages": {
            "": { "name": "app", "version": "1.0.0" },
            "node_modules/a": { "version": "1.0.0" },
            "node_modules/a/node_modules/@s/b": { "version": "2.0.0" },
            "node_modules/alias": { "name": "real", "version": "3.1.4" },
            "node_modules/local": { "resolved": "packages/local", "link": true },
            "packages/local": { "name": "local", "version": "0.0.1" }
        } }"#;
        let (got, skipped) = pins(Format::NpmLock, text);
        assert_eq!(got, ["npm @s/b 2.0.0", "npm a 1.0.0", "npm real 3.1.4"]);
        assert_eq!(skipped, 2);
        let err = Format::NpmLock
            .parse(r#"{ "lockfileVersion": 1, "dependencies": {} }"#)
            .unwrap_err();
        assert!(err.to_string().contains("npm 7 or later"), "{err}");
        assert!(Format::NpmLock.parse("{").is_err());
    }

    /// Made by `cargo generate-lockfile` for a crate depending on `itoa = "=1.0.1"` and
    /// `smallvec = "=1.6.0"` (Cargo.lock version 4).
    #[test]
    fn cargo_lock_keeps_registry_crates() {
        let (got, skipped) = pins(Format::CargoLock, &data("Cargo.lock"));
        assert_eq!(got, ["crates.io itoa 1.0.1", "crates.io smallvec 1.6.0"]);
        assert_eq!(skipped, 1, "the workspace member");
        let git = "[[package]]\nname = \"x\"\nversion = \"0.1.0\"\nsource = \"git+https://example.com/x#abc\"\n\n\
                   [[package]]\nname = \"y\"\nversion = \"0.2.0\"\nsource = \"sparse+https://trove.example.com/cargo/acme/index/\"\n";
        assert_eq!(pins(Format::CargoLock, git), (vec!["crates.io y 0.2.0".to_string()], 1));
    }

    /// Made by `uv lock` for a project depending on `jinja2==2.11.2` and `urllib3==1.26.4`.
    #[test]
    fn uv_lock_keeps_index_packages() {
        let (got, skipped) = pins(Format::UvLock, &data("uv.lock"));
        assert_eq!(
            got,
            ["PyPI jinja2 2.11.2", "PyPI markupsafe 3.0.4", "PyPI urllib3 1.26.4"]
        );
        assert_eq!(skipped, 1, "the project itself");
    }

    /// Made by `uv export --format requirements-txt` (with and without `--hash` lines).
    #[test]
    fn requirements_pins() {
        let want = ["PyPI jinja2 2.11.2", "PyPI markupsafe 3.0.4", "PyPI urllib3 1.26.4"];
        assert_eq!(
            pins(Format::Requirements, &data("requirements.txt")),
            (want.map(String::from).to_vec(), 0)
        );
        assert_eq!(
            pins(Format::Requirements, &data("requirements-hashes.txt")),
            (want.map(String::from).to_vec(), 0)
        );
        let hand = "# tools\n-r base.txt\n--index-url https://pypi.example.com/simple\n\
                    Django[argon2]==3.2.1 ; python_version >= \"3.8\"  # web\n\
                    requests>=2.0\nflask\nzope.interface===5.0\n";
        assert_eq!(
            pins(Format::Requirements, hand),
            (
                vec!["PyPI django 3.2.1".to_string(), "PyPI zope-interface 5.0".to_string()],
                4
            )
        );
        let err = Format::Requirements
            .parse("ok==1.0\nnot a requirement!!\n")
            .unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn trove_lock_and_names() {
        let text = "version = 1\n\n[[package]]\nname = \"alice/a\"\nversion = \"1.0.0\"\n\
                    digest = \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"\n";
        assert_eq!(pins(Format::Trove, text), (vec!["Trove alice/a 1.0.0".to_string()], 0));
        assert_eq!(
            Format::of(Path::new("x/requirements-dev.txt")).unwrap(),
            Format::Requirements
        );
        assert_eq!(Format::of(Path::new("Cargo.lock")).unwrap(), Format::CargoLock);
        assert!(Format::of(Path::new("yarn.lock")).is_err());
    }
}
