//! Package archives: `.tar.gz` files with a manifest at a known path — `trove.toml` at the
//! root for native packages ([`Trove`]), other paths for other ecosystems' formats (any
//! [`Format`], e.g. npm's `package/package.json`).
//!
//! [`inspect`] validates an archive in one streaming pass without unpacking it anywhere
//! ([`inspect_as`] for another format: the same safety rules whatever the format);
//! [`ArchiveBuilder`] and friends build archives (including hostile ones, for tests) and
//! [`pack_dir`] packs a project directory for the CLI.

pub mod browse;
mod build;
mod crate_file;
mod pack;
mod sdist;

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read};
use std::rc::Rc;

use flate2::read::GzDecoder;
use tar::EntryType;
use trove_core::manifest::{Manifest, ManifestError};

pub use build::{gzip_bomb, manifest_toml, simple_package, ArchiveBuilder};
pub use crate_file::{inspect_crate, CrateError, CrateInfo};
pub use pack::{pack_dir, ALWAYS_SKIPPED};
pub use sdist::{inspect_sdist, member_path, SdistInfo};

/// The manifest's path inside every archive.
pub const MANIFEST_FILE: &str = "trove.toml";
/// Readme files picked up, in this order, when the manifest names none.
pub const DEFAULT_READMES: &[&str] = &["README.md", "README", "readme.md"];

#[derive(Debug, Clone)]
pub struct Limits {
    /// Limit on the decompressed tar stream (headers and contents), counted as it inflates.
    pub max_unpacked_bytes: u64,
    pub max_file_bytes: u64,
    pub max_entries: u64,
    pub max_manifest_bytes: u64,
    /// Longer readmes are truncated, not refused.
    pub max_readme_bytes: u64,
    pub max_path_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_unpacked_bytes: 256 << 20,
            max_file_bytes: 64 << 20,
            max_entries: 10_000,
            max_manifest_bytes: 64 << 10,
            max_readme_bytes: 1 << 20,
            max_path_len: 255,
        }
    }
}

/// What an archive format is: where its manifest is, how it is read, and which README it
/// shows. The archive checks (paths, links, special files, sizes) are the same for every
/// format.
pub trait Format {
    type Manifest;
    /// The manifest's normalized path inside the archive.
    const MANIFEST: &'static str;
    /// README paths picked up, in this order, when the manifest names none.
    const READMES: &'static [&'static str];
    /// Reads the manifest's text.
    fn parse(text: &str) -> Result<Self::Manifest, TarballError>;
    /// The README path the manifest names, if any.
    fn named_readme(manifest: &Self::Manifest) -> Option<&str>;
}

/// Native Trove archives: `trove.toml` at the root.
pub struct Trove;

impl Format for Trove {
    type Manifest = Manifest;
    const MANIFEST: &'static str = MANIFEST_FILE;
    const READMES: &'static [&'static str] = DEFAULT_READMES;
    fn parse(text: &str) -> Result<Manifest, TarballError> {
        Ok(Manifest::parse(text)?)
    }
    fn named_readme(manifest: &Manifest) -> Option<&str> {
        manifest.package.readme.as_deref()
    }
}

/// A native archive's contents as [`inspect`] found them.
pub type ArchiveInfo = Archive<Manifest>;

#[derive(Debug, Clone)]
pub struct Archive<M> {
    pub manifest: M,
    pub manifest_text: String,
    pub readme: Option<String>,
    /// Number of regular files.
    pub files: u64,
    /// Total size of the regular files' contents.
    pub unpacked_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum TarballError {
    #[error("not a valid .tar.gz archive: {0}")]
    Invalid(String),
    #[error("invalid path `{path}`: {reason}")]
    BadPath { path: String, reason: String },
    #[error("absolute path `{0}` in archive")]
    AbsolutePath(String),
    #[error("path `{0}` leaves the archive root through `..`")]
    PathTraversal(String),
    #[error("symlink `{path}` -> `{target}` may point outside the archive")]
    LinkEscape { path: String, target: String },
    #[error("`{path}` lies beneath the symlink `{link}`")]
    UnderSymlink { path: String, link: String },
    #[error("`{0}` is a hard link; hard links are not allowed")]
    HardLink(String),
    #[error("`{path}` is a {kind}; only regular files, directories and symlinks are allowed")]
    SpecialFile { path: String, kind: String },
    #[error("`{0}` appears more than once in the archive")]
    DuplicatePath(String),
    #[error("`{0}` is used both as a file and as a directory")]
    PathConflict(String),
    #[error("the archive has more than {0} entries")]
    TooManyEntries(u64),
    #[error("`{path}` is larger than {limit} bytes")]
    FileTooLarge { path: String, limit: u64 },
    #[error("the archive unpacks to more than {0} bytes")]
    ArchiveTooLarge(u64),
    #[error("the archive has no {0} at its root")]
    ManifestMissing(&'static str),
    #[error("{0}")]
    ManifestInvalid(#[from] ManifestError),
    #[error("{file} {reason}")]
    ManifestUnreadable { file: &'static str, reason: String },
    #[error("readme `{path}` named in {manifest} {reason}")]
    ReadmeMissing {
        path: String,
        manifest: &'static str,
        reason: &'static str,
    },
}

impl TarballError {
    /// A stable machine-readable code for API responses.
    pub fn code(&self) -> &'static str {
        use TarballError::*;
        match self {
            Invalid(_) => "archive_invalid",
            BadPath { .. } => "path_invalid",
            AbsolutePath(_) | PathTraversal(_) => "path_traversal",
            LinkEscape { .. } | UnderSymlink { .. } => "link_escape",
            HardLink(_) => "hard_link",
            SpecialFile { .. } => "special_file",
            DuplicatePath(_) | PathConflict(_) => "duplicate_path",
            TooManyEntries(_) | FileTooLarge { .. } | ArchiveTooLarge(_) => "archive_too_large",
            ManifestMissing(_) => "manifest_missing",
            ManifestInvalid(_) | ManifestUnreadable { .. } => "manifest_invalid",
            ReadmeMissing { .. } => "readme_missing",
        }
    }

    /// Whether a size limit was exceeded (HTTP 413 rather than 400).
    pub fn is_too_large(&self) -> bool {
        self.code() == "archive_too_large"
    }
}

/// Counts decompressed bytes and fails the read as soon as they exceed `limit`.
struct Counted<R> {
    inner: R,
    total: Rc<Cell<u64>>,
    limit: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total.set(self.total.get() + n as u64);
        if self.total.get() > self.limit {
            return Err(io::Error::other("unpacked size limit exceeded"));
        }
        Ok(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
    Symlink,
}

/// Validates a gzipped native package archive in one streaming pass. See the crate docs for
/// the rules.
pub fn inspect<R: Read>(gz: R, limits: &Limits) -> Result<ArchiveInfo, TarballError> {
    inspect_as::<Trove, R>(gz, limits)
}

/// Validates a gzipped archive of format `F` in one streaming pass: the checks of
/// [`inspect`], with `F`'s manifest and READMEs.
pub fn inspect_as<F: Format, R: Read>(gz: R, limits: &Limits) -> Result<Archive<F::Manifest>, TarballError> {
    let total = Rc::new(Cell::new(0));
    let io_err = |e: io::Error| {
        if total.get() > limits.max_unpacked_bytes {
            TarballError::ArchiveTooLarge(limits.max_unpacked_bytes)
        } else {
            TarballError::Invalid(e.to_string())
        }
    };
    let counted = Counted {
        inner: GzDecoder::new(gz),
        total: total.clone(),
        limit: limits.max_unpacked_bytes,
    };
    let mut archive = tar::Archive::new(counted);

    let mut entries: BTreeMap<String, Kind> = BTreeMap::new();
    let (mut count, mut files, mut unpacked) = (0u64, 0u64, 0u64);
    let mut manifest: Option<(F::Manifest, String)> = None;
    // Readme candidates: before the manifest is known we keep readme-looking files, within a budget.
    let mut stash: HashMap<String, (Vec<u8>, bool)> = HashMap::new();
    let mut stash_budget = limits.max_readme_bytes.saturating_mul(4);
    // Once the manifest is read: the normalized path of the readme it names, if any.
    let mut readme_key: Option<Option<String>> = None;

    for entry in archive.entries().map_err(io_err)? {
        let mut entry = entry.map_err(io_err)?;
        count += 1;
        if count > limits.max_entries {
            return Err(TarballError::TooManyEntries(limits.max_entries));
        }
        let ty = entry.header().entry_type();
        if ty == EntryType::XGlobalHeader {
            continue; // pax global header, e.g. the commit id written by `git archive`
        }
        let raw = entry.path_bytes().into_owned();
        let Some(path) = normalize_path(&raw, limits.max_path_len)? else {
            if ty == EntryType::Directory {
                continue; // `./`, the root itself
            }
            return Err(bad_path(&raw, "names the archive root"));
        };
        let kind = entry_kind(ty, &raw, &path, &entry.link_name_bytes().unwrap_or_default())?;
        if entries.insert(path.clone(), kind).is_some() {
            return Err(TarballError::DuplicatePath(path));
        }
        if path == F::MANIFEST && kind != Kind::File {
            return Err(unreadable::<F>("must be a regular file"));
        }
        if kind != Kind::File {
            continue;
        }

        files += 1;
        let too_large = || TarballError::FileTooLarge {
            path: path.clone(),
            limit: limits.max_file_bytes,
        };
        if entry.size() > limits.max_file_bytes {
            return Err(too_large());
        }
        let keep = if path == F::MANIFEST {
            limits.max_manifest_bytes + 1
        } else if wants_readme(
            &path,
            readme_key.as_ref().map(Option::as_deref),
            F::READMES,
            stash_budget,
        ) {
            limits.max_readme_bytes
        } else {
            0
        };
        let mut head = Vec::new();
        (&mut entry).take(keep).read_to_end(&mut head).map_err(io_err)?;
        let rest_cap = (limits.max_file_bytes + 1).saturating_sub(head.len() as u64);
        let rest = io::copy(&mut (&mut entry).take(rest_cap), &mut io::sink()).map_err(io_err)?;
        let size = head.len() as u64 + rest;
        if size > limits.max_file_bytes {
            return Err(too_large());
        }
        if size != entry.size() {
            return Err(TarballError::Invalid(format!("`{path}` is truncated")));
        }
        unpacked += size;

        if path == F::MANIFEST {
            if size > limits.max_manifest_bytes {
                let msg = format!("is larger than {} bytes", limits.max_manifest_bytes);
                return Err(unreadable::<F>(&msg));
            }
            let text = String::from_utf8(head).map_err(|_| unreadable::<F>("is not valid UTF-8"))?;
            let m = F::parse(&text)?;
            let named = F::named_readme(&m).map(|r| normalize_path(r.as_bytes(), usize::MAX));
            readme_key = Some(named.map(|k| k.ok().flatten().unwrap_or_default()));
            manifest = Some((m, text));
        } else if keep > 0 {
            if manifest.is_none() && !F::READMES.contains(&path.as_str()) {
                stash_budget = stash_budget.saturating_sub(head.len() as u64);
            }
            stash.insert(path, (head, size > keep));
        }
    }
    // Drain what follows the tar end marker so that a corrupt or truncated gzip trailer is caught.
    io::copy(&mut archive.into_inner(), &mut io::sink()).map_err(io_err)?;

    check_nesting(&entries)?;

    let (manifest, manifest_text) = manifest.ok_or(TarballError::ManifestMissing(F::MANIFEST))?;
    let readme = pick_readme::<F>(F::named_readme(&manifest), &entries, &mut stash, limits)?;
    Ok(Archive {
        manifest,
        manifest_text,
        readme: readme.map(|(bytes, truncated)| readme_text(bytes, truncated)),
        files,
        unpacked_bytes: unpacked,
    })
}

/// What a tar entry is: a file, a directory or a symlink (checked to stay inside the
/// archive); hard links and special files are refused.
fn entry_kind(ty: EntryType, raw: &[u8], path: &str, link: &[u8]) -> Result<Kind, TarballError> {
    Ok(match ty {
        EntryType::Regular | EntryType::Continuous if raw.ends_with(b"/") => Kind::Dir,
        EntryType::Regular | EntryType::Continuous => Kind::File,
        EntryType::Directory => Kind::Dir,
        EntryType::Symlink => {
            check_symlink(path, link)?;
            Kind::Symlink
        }
        EntryType::Link => return Err(TarballError::HardLink(path.to_string())),
        other => {
            return Err(TarballError::SpecialFile {
                path: path.to_string(),
                kind: describe(other),
            })
        }
    })
}

/// No entry lies below a symlink or below a file.
fn check_nesting(entries: &BTreeMap<String, Kind>) -> Result<(), TarballError> {
    for path in entries.keys() {
        for (i, _) in path.match_indices('/') {
            match entries.get(&path[..i]) {
                Some(Kind::Symlink) => {
                    let link = path[..i].to_string();
                    return Err(TarballError::UnderSymlink {
                        path: path.clone(),
                        link,
                    });
                }
                Some(Kind::File) => return Err(TarballError::PathConflict(path[..i].to_string())),
                _ => {}
            }
        }
    }
    Ok(())
}

/// `F`'s manifest is unreadable for `reason`.
fn unreadable<F: Format>(reason: &str) -> TarballError {
    TarballError::ManifestUnreadable {
        file: F::MANIFEST,
        reason: reason.into(),
    }
}

/// The README the manifest names (which must be a regular file of the archive, kept while
/// reading), or the first default README found.
fn pick_readme<F: Format>(
    named: Option<&str>,
    entries: &BTreeMap<String, Kind>,
    stash: &mut HashMap<String, (Vec<u8>, bool)>,
    limits: &Limits,
) -> Result<Option<(Vec<u8>, bool)>, TarballError> {
    Ok(match named {
        Some(named) => {
            let missing = |reason| TarballError::ReadmeMissing {
                path: named.to_string(),
                manifest: F::MANIFEST,
                reason,
            };
            let key = normalize_path(named.as_bytes(), limits.max_path_len)
                .ok()
                .flatten()
                .ok_or_else(|| missing("is not a valid path"))?;
            match entries.get(&key) {
                None => return Err(missing("is not in the archive")),
                Some(Kind::File) => Some(stash.remove(&key).ok_or_else(|| {
                    missing("comes before the manifest and could not be kept; put the manifest first")
                })?),
                Some(_) => return Err(missing("is not a regular file")),
            }
        }
        None => F::READMES.iter().find_map(|r| stash.remove(*r)),
    })
}

fn bad_path(raw: &[u8], reason: &str) -> TarballError {
    TarballError::BadPath {
        path: String::from_utf8_lossy(raw).into_owned(),
        reason: reason.into(),
    }
}

/// Validates a raw header path and returns it normalized (`./a//b/` -> `a/b`), or `None` for the
/// root itself.
fn normalize_path(raw: &[u8], max_len: usize) -> Result<Option<String>, TarballError> {
    if raw.len() > max_len {
        return Err(bad_path(raw, &format!("longer than {max_len} bytes")));
    }
    if raw.contains(&0) {
        return Err(bad_path(raw, "contains a NUL byte"));
    }
    let s = std::str::from_utf8(raw).map_err(|_| bad_path(raw, "not valid UTF-8"))?;
    if s.chars().any(char::is_control) || s.contains('\\') {
        return Err(bad_path(raw, "contains a backslash or control character"));
    }
    if s.starts_with('/') || is_drive(s) {
        return Err(TarballError::AbsolutePath(s.into()));
    }
    let mut parts = Vec::new();
    for part in s.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(TarballError::PathTraversal(s.into())),
            p => parts.push(p),
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join("/")))
}

fn is_drive(s: &str) -> bool {
    matches!(s.as_bytes(), [letter, b':', ..] if letter.is_ascii_alphabetic())
}

/// A symlink may only climb (`..`) at the start of its target and no higher than the archive
/// root; `..` after a name could climb out through another symlink, so it is refused too.
fn check_symlink(path: &str, target: &[u8]) -> Result<(), TarballError> {
    let shown = String::from_utf8_lossy(target).into_owned();
    let escape = || TarballError::LinkEscape {
        path: path.into(),
        target: shown.clone(),
    };
    let target = std::str::from_utf8(target).map_err(|_| escape())?;
    if target.is_empty() || target.starts_with('/') || is_drive(target) {
        return Err(escape());
    }
    if target.contains('\\') || target.chars().any(char::is_control) {
        return Err(escape());
    }
    let depth = path.matches('/').count();
    let (mut ups, mut named) = (0, false);
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." if named || ups == depth => return Err(escape()),
            ".." => ups += 1,
            _ => named = true,
        }
    }
    Ok(())
}

fn describe(ty: EntryType) -> String {
    match ty {
        EntryType::Char => "character device".into(),
        EntryType::Block => "block device".into(),
        EntryType::Fifo => "fifo".into(),
        EntryType::GNUSparse => "sparse file".into(),
        other => format!("unsupported entry (type `{}`)", other.as_byte().escape_ascii()),
    }
}

/// `want`: `None` while the manifest is unknown, then the normalized readme path it names;
/// `defaults`: the format's READMEs.
fn wants_readme(path: &str, want: Option<Option<&str>>, defaults: &[&str], stash_budget: u64) -> bool {
    match want {
        Some(Some(named)) => named == path,
        Some(None) => defaults.contains(&path),
        None if defaults.contains(&path) => true,
        None => {
            let base = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
            let doc = [".md", ".markdown", ".txt", ".rst", ".adoc"]
                .iter()
                .any(|e| base.ends_with(e));
            stash_budget > 0 && (doc || base.starts_with("readme"))
        }
    }
}

/// Lossy UTF-8; a character cut in half by truncation is dropped rather than replaced.
fn readme_text(mut bytes: Vec<u8>, truncated: bool) -> String {
    if truncated {
        if let Some(start) = bytes.iter().rev().take(4).position(|b| b & 0xC0 != 0x80) {
            let start = bytes.len() - 1 - start;
            let need = match bytes[start] {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            if bytes.len() - start < need {
                bytes.truncate(start);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths() {
        let n = |p: &str| normalize_path(p.as_bytes(), 255).map_err(|e| e.code());
        assert_eq!(n("./a//b/"), Ok(Some("a/b".into())));
        assert_eq!(n("./"), Ok(None));
        assert_eq!(n("a/../b"), Err("path_traversal"));
        assert_eq!(n("/etc/x"), Err("path_traversal"));
        assert_eq!(n("C:/x"), Err("path_traversal"));
        assert_eq!(n("a\\..\\b"), Err("path_invalid"));
        assert_eq!(n("a\nb"), Err("path_invalid"));
        assert_eq!(normalize_path(b"a\0b", 255).map_err(|e| e.code()), Err("path_invalid"));
        assert_eq!(normalize_path(b"\xff", 255).map_err(|e| e.code()), Err("path_invalid"));
        assert_eq!(n(&"a".repeat(256)), Err("path_invalid"));
    }

    #[test]
    fn symlink_targets() {
        assert!(check_symlink("a/b/l", b"../../x").is_ok());
        assert!(check_symlink("a/b/l", b"../c/./d").is_ok());
        assert!(check_symlink("l", b".").is_ok());
        assert!(check_symlink("a/b/l", b"../../../x").is_err());
        assert!(check_symlink("a/l", b"s/../../x").is_err());
        assert!(check_symlink("l", b"s/../x").is_err());
        assert!(check_symlink("l", b"/etc").is_err());
        assert!(check_symlink("l", b"").is_err());
    }

    #[test]
    fn truncated_readme_drops_cut_character() {
        assert_eq!(readme_text("aé".as_bytes()[..2].to_vec(), true), "a");
        assert_eq!(readme_text("aé".as_bytes().to_vec(), true), "aé");
        assert_eq!(readme_text(b"a\xffb".to_vec(), false), "a\u{fffd}b");
    }
}
