//! Python source distributions (`{name}-{version}.tar.gz`): the same streaming checks as
//! package archives (paths, links, devices, duplicates, bombs; see [`crate::inspect`]), with
//! the core metadata read from `{root}/PKG-INFO` instead of a `trove.toml`. Also the path
//! rule for members of other archive formats (wheels are zip files).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::rc::Rc;

use flate2::read::GzDecoder;
use tar::EntryType;

use crate::{check_nesting, entry_kind, normalize_path, Counted, Kind, Limits, TarballError};

/// What an sdist holds that an index needs.
#[derive(Debug, Clone, Default)]
pub struct SdistInfo {
    /// The one top-level directory every member lies in (`name-1.0`), when there is one.
    pub root: Option<String>,
    /// `{root}/PKG-INFO`, when present (at most `max_manifest_bytes`).
    pub pkg_info: Option<Vec<u8>>,
    /// Number of regular files.
    pub files: u64,
    /// Total size of the regular files' contents.
    pub unpacked_bytes: u64,
}

/// Validates a gzipped sdist in one streaming pass and reads its `PKG-INFO`.
pub fn inspect_sdist<R: Read>(gz: R, limits: &Limits) -> Result<SdistInfo, TarballError> {
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
    let mut info = SdistInfo::default();
    let mut roots: BTreeMap<String, ()> = BTreeMap::new();
    let mut pkg_infos: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for entry in archive.entries().map_err(io_err)? {
        let mut entry = entry.map_err(io_err)?;
        if entries.len() as u64 >= limits.max_entries {
            return Err(TarballError::TooManyEntries(limits.max_entries));
        }
        let ty = entry.header().entry_type();
        if matches!(ty, EntryType::XGlobalHeader) {
            continue;
        }
        let raw = entry.path_bytes().into_owned();
        let Some(path) = normalize_path(&raw, limits.max_path_len)? else {
            continue; // `./`, the root itself
        };
        let kind = entry_kind(ty, &raw, &path, &entry.link_name_bytes().unwrap_or_default())?;
        if entries.insert(path.clone(), kind).is_some() {
            return Err(TarballError::DuplicatePath(path));
        }
        roots.insert(path.split('/').next().unwrap_or_default().to_string(), ());
        if kind != Kind::File {
            continue;
        }
        info.files += 1;
        if entry.size() > limits.max_file_bytes {
            return Err(TarballError::FileTooLarge {
                path,
                limit: limits.max_file_bytes,
            });
        }
        let is_pkg_info = path.matches('/').count() == 1 && path.ends_with("/PKG-INFO");
        let keep = if is_pkg_info { limits.max_manifest_bytes + 1 } else { 0 };
        let mut head = Vec::new();
        (&mut entry).take(keep).read_to_end(&mut head).map_err(io_err)?;
        let rest = io::copy(&mut (&mut entry).take(limits.max_file_bytes + 1), &mut io::sink()).map_err(io_err)?;
        let size = head.len() as u64 + rest;
        if size > limits.max_file_bytes {
            return Err(TarballError::FileTooLarge {
                path,
                limit: limits.max_file_bytes,
            });
        }
        if size != entry.size() {
            return Err(TarballError::Invalid(format!("`{path}` is truncated")));
        }
        info.unpacked_bytes += size;
        if is_pkg_info {
            if size > limits.max_manifest_bytes {
                return Err(TarballError::ManifestUnreadable {
                    file: "PKG-INFO",
                    reason: format!("is larger than {} bytes", limits.max_manifest_bytes),
                });
            }
            pkg_infos.insert(path, head);
        }
    }
    // Drain what follows the tar end marker so that a corrupt gzip trailer is caught.
    io::copy(&mut archive.into_inner(), &mut io::sink()).map_err(io_err)?;
    check_nesting(&entries)?;
    if roots.len() == 1 {
        let root = roots.into_keys().next().unwrap_or_default();
        info.pkg_info = pkg_infos.remove(&format!("{root}/PKG-INFO"));
        info.root = Some(root);
    }
    Ok(info)
}

/// The normalized path of an archive member (`./a//b` → `a/b`; `None` for the root itself),
/// refused when it is absolute, climbs with `..`, or holds NUL, control characters or
/// backslashes: the rule tar members follow, for other archive formats.
pub fn member_path(raw: &[u8], max_len: usize) -> Result<Option<String>, TarballError> {
    normalize_path(raw, max_len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArchiveBuilder;

    #[test]
    fn reads_pkg_info_of_the_root() {
        let gz = ArchiveBuilder::new()
            .dir("x-1.0/")
            .file("x-1.0/PKG-INFO", b"Metadata-Version: 2.2\nName: x\nVersion: 1.0\n")
            .file("x-1.0/src/x/PKG-INFO", b"other")
            .file("x-1.0/setup.py", b"")
            .finish();
        let info = inspect_sdist(&gz[..], &Limits::default()).unwrap();
        assert_eq!(info.root.as_deref(), Some("x-1.0"));
        assert!(info.pkg_info.unwrap().starts_with(b"Metadata-Version"));
        assert_eq!(info.files, 3);
    }

    #[test]
    fn refuses_hostile_members() {
        let traversal = ArchiveBuilder::new()
            .raw_path_file("x-1.0/../../etc/passwd", b"x")
            .finish();
        assert_eq!(
            inspect_sdist(&traversal[..], &Limits::default()).unwrap_err().code(),
            "path_traversal"
        );
        let link = ArchiveBuilder::new().symlink("x-1.0/l", "../../etc").finish();
        assert_eq!(
            inspect_sdist(&link[..], &Limits::default()).unwrap_err().code(),
            "link_escape"
        );
        let small = Limits {
            max_unpacked_bytes: 1 << 20,
            ..Limits::default()
        };
        let bomb = crate::gzip_bomb(4 << 20);
        assert!(inspect_sdist(&bomb[..], &small).unwrap_err().is_too_large());
        let two_roots = ArchiveBuilder::new().file("a/PKG-INFO", b"x").file("b/y", b"").finish();
        let info = inspect_sdist(&two_roots[..], &Limits::default()).unwrap();
        assert!(info.root.is_none() && info.pkg_info.is_none());
        assert_eq!(member_path(b"a/../../b", 255).unwrap_err().code(), "path_traversal");
    }
}
