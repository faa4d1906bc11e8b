//! The project in the current directory: its `trove.toml`, packing it into an archive, and
//! editing its `[dependencies]` without disturbing the rest of the file.

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use trove_core::manifest::Manifest;
use trove_core::name::normalize;

pub const MANIFEST: &str = "trove.toml";
pub const IGNORE_FILE: &str = ".troveignore";
/// Where `trove install` puts dependencies.
pub const PACKAGES_DIR: &str = "trove_packages";
/// Where `trove package` writes archives.
pub const OUTPUT_DIR: &str = ".trove";
/// Never packed: installed dependencies, our own output, the lock file.
const ALWAYS_IGNORED: &[&str] = &["/trove_packages/", "/.trove/", "/trove.lock"];

pub struct Project {
    pub dir: PathBuf,
    pub text: String,
    pub manifest: Manifest,
}

impl Project {
    /// Reads and validates `dir/trove.toml`.
    pub fn open(dir: &Path) -> anyhow::Result<Project> {
        let path = dir.join(MANIFEST);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!("no {MANIFEST} in {}: run `trove init` to create one", dir.display())
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let manifest = Manifest::parse(&text).with_context(|| format!("{} is invalid", path.display()))?;
        Ok(Project {
            dir: dir.to_path_buf(),
            text,
            manifest,
        })
    }

    /// Ignore patterns: the built-in ones plus `.troveignore` (gitignore-like: `*`, `**`,
    /// `dir/`, `/anchored`, `#` comments).
    pub fn ignore_patterns(&self) -> anyhow::Result<Vec<String>> {
        let mut out: Vec<String> = ALWAYS_IGNORED.iter().map(|s| s.to_string()).collect();
        let path = self.dir.join(IGNORE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => out.extend(text.lines().map(str::to_string)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
        Ok(out)
    }

    /// Packs the project and validates the archive as the registry will.
    pub fn pack(&self) -> anyhow::Result<Packed> {
        let ignore = self.ignore_patterns()?;
        let bytes =
            trove_tarball::pack_dir(&self.dir, &ignore).with_context(|| format!("packing {}", self.dir.display()))?;
        let info = trove_tarball::inspect(&bytes[..], &trove_tarball::Limits::default())
            .map_err(|e| anyhow::anyhow!("the package would be refused: {e}"))?;
        let files = list_files(&bytes)?;
        Ok(Packed {
            digest: trove_core::Digest::sha256_of(&bytes).to_string(),
            info,
            files,
            bytes,
        })
    }

    /// `.trove/<scope>-<name>-<version>.tar.gz`
    pub fn default_archive_path(&self) -> PathBuf {
        let m = &self.manifest;
        self.dir
            .join(OUTPUT_DIR)
            .join(format!("{}-{}-{}.tar.gz", m.scope(), m.name(), m.package.version))
    }
}

pub struct Packed {
    pub bytes: Vec<u8>,
    pub digest: String,
    pub info: trove_tarball::ArchiveInfo,
    /// Regular files and their sizes, in archive order.
    pub files: Vec<(String, u64)>,
}

fn list_files(gz: &[u8]) -> anyhow::Result<Vec<(String, u64)>> {
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(gz));
    let mut out = Vec::new();
    for e in ar.entries()? {
        let e = e?;
        if e.header().entry_type().is_file() {
            out.push((String::from_utf8_lossy(&e.path_bytes()).into_owned(), e.size()));
        }
    }
    Ok(out)
}

/// A fresh `trove.toml`.
pub fn new_manifest(
    name: &str,
    version: &str,
    kind: &str,
    description: Option<&str>,
    license: Option<&str>,
) -> anyhow::Result<String> {
    let esc = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut text = format!(
        "[package]\nname = {}\nversion = {}\nkind = {}\n",
        esc(name),
        esc(version),
        esc(kind)
    );
    if let Some(d) = description {
        text += &format!("description = {}\n", esc(d));
    }
    if let Some(l) = license {
        text += &format!("license = {}\n", esc(l));
    }
    text += "\n[dependencies]\n# \"scope/name\" = \"^1.0\"\n";
    Manifest::parse(&text).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(text)
}

/// The bare key of a `key = value` line (quotes removed), if it is one.
fn line_key(line: &str) -> Option<String> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') || t.starts_with('[') {
        return None;
    }
    let key = if let Some(rest) = t.strip_prefix('"') {
        rest.split_once('"')?.0
    } else if let Some(rest) = t.strip_prefix('\'') {
        rest.split_once('\'')?.0
    } else {
        t.split_once('=')?.0.trim()
    };
    Some(key.to_string())
}

fn is_header(line: &str) -> bool {
    line.trim_start().starts_with('[')
}

fn is_deps_header(line: &str) -> bool {
    let t = line.trim();
    let t = t.split('#').next().unwrap_or("").trim();
    t.replace(' ', "") == "[dependencies]"
}

/// Sets (`Some(req)`) or removes (`None`) a dependency in `trove.toml` text, keeping comments
/// and layout; the result is validated.
pub fn edit_dependency(text: &str, name: &str, req: Option<&str>) -> anyhow::Result<String> {
    let norm = normalize(name);
    let new_line = req.map(|r| {
        format!(
            "{} = {}",
            toml::Value::String(name.into()),
            toml::Value::String(r.into())
        )
    });
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len() + 3);
    let mut in_deps = false;
    let mut section_found = false;
    let mut done = false;
    // Index in `out` after the last non-blank line of the dependencies section.
    let mut insert_at = None;
    for line in &lines {
        if is_header(line) {
            in_deps = is_deps_header(line);
            if in_deps {
                section_found = true;
                insert_at = Some(out.len() + 1);
            }
            out.push(line.to_string());
            continue;
        }
        if in_deps && line_key(line).is_some_and(|k| normalize(&k) == norm) {
            if let Some(l) = &new_line {
                out.push(l.clone());
                insert_at = Some(out.len());
            }
            done = true;
            continue;
        }
        out.push(line.to_string());
        if in_deps && !line.trim().is_empty() {
            insert_at = Some(out.len());
        }
    }
    if !done {
        if let Some(l) = &new_line {
            match (section_found, insert_at) {
                (true, Some(at)) => out.insert(at, l.clone()),
                _ => {
                    if out.last().is_some_and(|l| !l.trim().is_empty()) {
                        out.push(String::new());
                    }
                    out.push("[dependencies]".into());
                    out.push(l.clone());
                }
            }
        } else {
            bail!("`{name}` is not a dependency in {MANIFEST}");
        }
    }
    let mut result = out.join("\n");
    result.push('\n');
    let parsed = Manifest::parse(&result).map_err(|e| anyhow::anyhow!("editing {MANIFEST} failed: {e}"))?;
    let present = parsed.dependencies.iter().find(|(k, _)| normalize(k) == norm);
    let ok = match req {
        Some(r) => present.is_some_and(|(_, v)| v == r),
        None => present.is_none(),
    };
    if !ok {
        bail!(
            "could not edit {MANIFEST} automatically (is [dependencies] written as an inline table?); edit its [dependencies] yourself"
        );
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "# my project\n[package]\nname = \"x/app\"\nversion = \"0.1.0\"\n\n[dependencies]\n# pinned for a reason\n\"x/b-c\" = \"^1\" # keep\n\n[metadata]\nk = 1\n";

    #[test]
    fn adds_replaces_and_removes_dependencies_keeping_comments() {
        let added = edit_dependency(BASE, "x/c", Some("^2.0")).unwrap();
        assert!(
            added.contains("\"x/b-c\" = \"^1\" # keep\n\"x/c\" = \"^2.0\"\n\n[metadata]"),
            "{added}"
        );
        assert!(added.starts_with("# my project\n"));
        let replaced = edit_dependency(&added, "x/b_c", Some("^1.5")).unwrap();
        assert!(
            replaced.contains("\"x/b_c\" = \"^1.5\"") && !replaced.contains("\"x/b-c\""),
            "{replaced}"
        );
        let removed = edit_dependency(&replaced, "x/b.c", None).unwrap();
        assert!(
            !removed.contains("^1.5") && removed.contains("# pinned for a reason"),
            "{removed}"
        );
        assert!(edit_dependency(&removed, "x/zzz", None).is_err());
    }

    #[test]
    fn creates_the_section_when_missing() {
        let text = "[package]\nname = \"x/app\"\nversion = \"0.1.0\"\n";
        let out = edit_dependency(text, "x/c", Some("^2")).unwrap();
        assert!(out.ends_with("\n\n[dependencies]\n\"x/c\" = \"^2\"\n"), "{out}");
        let inline = "dependencies = { \"x/c\" = \"^1\" }\n[package]\nname = \"x/app\"\nversion = \"0.1.0\"\n";
        assert!(edit_dependency(inline, "x/d", Some("^1")).is_err());
    }

    #[test]
    fn new_manifests_are_valid() {
        let text = new_manifest("x/app", "0.1.0", "model", Some("A \"quoted\" thing"), Some("MIT")).unwrap();
        let m = Manifest::parse(&text).unwrap();
        assert_eq!(m.package.description.as_deref(), Some("A \"quoted\" thing"));
        assert!(new_manifest("Bad Name", "0.1.0", "library", None, None).is_err());
        assert!(new_manifest("x/app", "0.1.0", "spaceship", None, None).is_err());
    }
}
