//! `.crate` files (Cargo's package archives): a gzipped tar whose every entry lies under
//! `{name}-{version}/`, holding the normalized `Cargo.toml` that `cargo package` wrote.
//! The same safety rules as native archives apply (no traversal, no absolute paths, links
//! that stay inside, no hard links or devices, size and entry limits).

use std::collections::BTreeMap;
use std::io::{self, Read};

use flate2::read::GzDecoder;
use tar::EntryType;

use super::{check_nesting, entry_kind, normalize_path, Counted, Kind, Limits, TarballError};

/// What publishing needs from a `.crate`.
#[derive(Debug, Clone)]
pub struct CrateInfo {
    /// The text of `{root}/Cargo.toml`.
    pub cargo_toml: String,
    /// The readme named by the publish metadata, if it is a regular file of the archive
    /// (truncated to the readme limit, lossy UTF-8).
    pub readme: Option<String>,
    pub files: u64,
    pub unpacked_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CrateError {
    #[error("{0}")]
    Archive(#[from] TarballError),
    #[error("`{path}` is not under `{root}/`; every file of a .crate lies in that directory")]
    OutsideRoot { path: String, root: String },
    #[error("the .crate has no `{0}/Cargo.toml`")]
    CargoTomlMissing(String),
    #[error("Cargo.toml {0}")]
    CargoTomlUnreadable(String),
}

impl CrateError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CrateError::Archive(e) => e.code(),
            CrateError::OutsideRoot { .. } => "path_invalid",
            CrateError::CargoTomlMissing(_) | CrateError::CargoTomlUnreadable(_) => "manifest_invalid",
        }
    }

    /// Whether a size limit was exceeded (HTTP 413 rather than 400).
    pub fn is_too_large(&self) -> bool {
        matches!(self, CrateError::Archive(e) if e.is_too_large())
    }
}

/// Validates a `.crate` in one streaming pass; `root` is `{name}-{version}` as the publish
/// metadata names them, `readme` the readme path (relative to the root) it names.
pub fn inspect_crate<R: Read>(
    gz: R,
    root: &str,
    readme: Option<&str>,
    limits: &Limits,
) -> Result<CrateInfo, CrateError> {
    let total = std::rc::Rc::new(std::cell::Cell::new(0));
    let io_err = |e: io::Error| -> CrateError {
        if total.get() > limits.max_unpacked_bytes {
            TarballError::ArchiveTooLarge(limits.max_unpacked_bytes).into()
        } else {
            TarballError::Invalid(e.to_string()).into()
        }
    };
    let counted = Counted {
        inner: GzDecoder::new(gz),
        total: total.clone(),
        limit: limits.max_unpacked_bytes,
    };
    let mut archive = tar::Archive::new(counted);
    let manifest_path = format!("{root}/Cargo.toml");
    let readme_path = readme
        .and_then(|r| normalize_path(r.as_bytes(), limits.max_path_len).ok().flatten())
        .map(|r| format!("{root}/{r}"));
    let mut entries: BTreeMap<String, Kind> = BTreeMap::new();
    let (mut count, mut files, mut unpacked) = (0u64, 0u64, 0u64);
    let (mut cargo_toml, mut readme_text) = (None, None);
    for entry in archive.entries().map_err(io_err)? {
        let mut entry = entry.map_err(io_err)?;
        count += 1;
        if count > limits.max_entries {
            return Err(TarballError::TooManyEntries(limits.max_entries).into());
        }
        let ty = entry.header().entry_type();
        if ty == EntryType::XGlobalHeader {
            continue;
        }
        let raw = entry.path_bytes().into_owned();
        let path = normalize_path(&raw, limits.max_path_len)?.unwrap_or_default();
        if path != root && !path.starts_with(&format!("{root}/")) {
            return Err(CrateError::OutsideRoot {
                path,
                root: root.to_string(),
            });
        }
        let kind = entry_kind(ty, &raw, &path, &entry.link_name_bytes().unwrap_or_default())?;
        if entries.insert(path.clone(), kind).is_some() {
            return Err(TarballError::DuplicatePath(path).into());
        }
        if path == manifest_path && kind != Kind::File {
            return Err(CrateError::CargoTomlUnreadable("must be a regular file".into()));
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
            return Err(too_large().into());
        }
        let keep = if path == manifest_path {
            limits.max_manifest_bytes + 1
        } else if Some(&path) == readme_path.as_ref() {
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
            return Err(too_large().into());
        }
        if size != entry.size() {
            return Err(TarballError::Invalid(format!("`{path}` is truncated")).into());
        }
        unpacked += size;
        if path == manifest_path {
            if size > limits.max_manifest_bytes {
                let msg = format!("is larger than {} bytes", limits.max_manifest_bytes);
                return Err(CrateError::CargoTomlUnreadable(msg));
            }
            let text =
                String::from_utf8(head).map_err(|_| CrateError::CargoTomlUnreadable("is not valid UTF-8".into()))?;
            cargo_toml = Some(text);
        } else if keep > 0 {
            readme_text = Some(super::readme_text(head, size > keep));
        }
    }
    io::copy(&mut archive.into_inner(), &mut io::sink()).map_err(io_err)?;
    check_nesting(&entries)?;
    let cargo_toml = cargo_toml.ok_or_else(|| CrateError::CargoTomlMissing(root.to_string()))?;
    Ok(CrateInfo {
        cargo_toml,
        readme: readme_text,
        files,
        unpacked_bytes: unpacked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArchiveBuilder;

    fn inspect(bytes: &[u8]) -> Result<CrateInfo, CrateError> {
        inspect_crate(bytes, "foo-1.0.0", Some("README.md"), &Limits::default())
    }

    #[test]
    fn reads_cargo_toml_and_readme() {
        let b = ArchiveBuilder::new()
            .file("foo-1.0.0/Cargo.toml", b"[package]\nname = \"foo\"\n")
            .file("foo-1.0.0/README.md", b"# Foo")
            .file("foo-1.0.0/src/lib.rs", b"")
            .finish();
        let info = inspect(&b).unwrap();
        assert!(info.cargo_toml.contains("name = \"foo\""));
        assert_eq!(info.readme.as_deref(), Some("# Foo"));
        assert_eq!(info.files, 3);
    }

    #[test]
    fn refuses_hostile_and_misplaced_entries() {
        let outside = ArchiveBuilder::new()
            .file("foo-1.0.0/Cargo.toml", b"")
            .file("bar-1.0.0/src/lib.rs", b"")
            .finish();
        assert_eq!(inspect(&outside).unwrap_err().code(), "path_invalid");
        let traversal = ArchiveBuilder::new()
            .file("foo-1.0.0/Cargo.toml", b"")
            .raw_path_file("foo-1.0.0/../../etc/passwd", b"x")
            .finish();
        assert_eq!(inspect(&traversal).unwrap_err().code(), "path_traversal");
        let link = ArchiveBuilder::new()
            .file("foo-1.0.0/Cargo.toml", b"")
            .symlink("foo-1.0.0/evil", "../../etc/passwd")
            .finish();
        assert_eq!(inspect(&link).unwrap_err().code(), "link_escape");
        let missing = ArchiveBuilder::new().file("foo-1.0.0/src/lib.rs", b"").finish();
        assert_eq!(inspect(&missing).unwrap_err().code(), "manifest_invalid");
        assert_eq!(inspect(b"not gzip").unwrap_err().code(), "archive_invalid");
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        let zeros = io::repeat(0).take(300 << 20);
        crate::build::append(
            &mut tar,
            b"foo-1.0.0/zeros",
            EntryType::Regular,
            b"",
            0o644,
            300 << 20,
            zeros,
        )
        .unwrap();
        let bomb = tar.into_inner().unwrap().finish().unwrap();
        assert!(inspect(&bomb).unwrap_err().is_too_large());
    }
}
