//! Inspecting an uploaded distribution before anything is stored: wheels (zip) and sdists
//! (tar.gz) are read in full, member by member, with the limits of package archives
//! (`trove_tarball::Limits`): paths that are absolute or climb with `..`, links, duplicates,
//! too many members and decompression bombs (counted as they inflate, whatever the headers
//! claim) are refused; CRCs and gzip trailers are checked. What comes out is the core
//! metadata file (PEP 658) and the wheel's tags.

use crate::metadata::CoreMetadata;
use crate::names::{normalize, DistFile, DistKind};
use std::collections::HashSet;
use std::io::{self, Read, Seek};
use trove_tarball::Limits;

/// Why a distribution was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveError {
    pub message: String,
    /// A size limit was passed (413 rather than 400).
    pub too_large: bool,
}

impl ArchiveError {
    fn invalid(message: impl Into<String>) -> Self {
        ArchiveError {
            message: message.into(),
            too_large: false,
        }
    }
}

impl From<trove_tarball::TarballError> for ArchiveError {
    fn from(e: trove_tarball::TarballError) -> Self {
        ArchiveError {
            too_large: e.is_too_large(),
            message: e.to_string(),
        }
    }
}

/// What the index keeps of a distribution.
#[derive(Debug, Clone)]
pub struct Inspected {
    /// The core metadata file's bytes, as served for PEP 658.
    pub metadata_bytes: Vec<u8>,
    pub metadata: CoreMetadata,
    /// Whether the metadata may be served as the file's PEP 658 metadata (always for wheels;
    /// for sdists only when reliable, PEP 643).
    pub serve_metadata: bool,
}

/// Inspects the distribution `file` (whose name was parsed into `dist`).
pub fn inspect<R: Read + Seek>(file: R, dist: &DistFile, limits: &Limits) -> Result<Inspected, ArchiveError> {
    let metadata_bytes = match dist.kind {
        DistKind::Wheel => wheel_metadata(file, dist, limits)?,
        DistKind::Sdist => sdist_metadata(file, dist, limits)?,
    };
    let what = match dist.kind {
        DistKind::Wheel => "METADATA",
        DistKind::Sdist => "PKG-INFO",
    };
    let metadata = CoreMetadata::parse(&metadata_bytes).map_err(|e| ArchiveError::invalid(format!("{what}: {e}")))?;
    let serve_metadata = dist.kind == DistKind::Wheel || metadata.is_reliable_for_sdist();
    Ok(Inspected {
        metadata_bytes,
        metadata,
        serve_metadata,
    })
}

/// Whether a `{name}-{version}` directory stem names the distribution.
fn names_dist(stem: &str, dist: &DistFile) -> bool {
    stem.rsplit_once('-').is_some_and(|(name, version)| {
        normalize(name) == dist.project
            && trove_core::version::EcoVersion::parse(trove_core::Ecosystem::Pypi, version)
                .is_ok_and(|v| v == dist.version)
    })
}

fn sdist_metadata<R: Read>(file: R, dist: &DistFile, limits: &Limits) -> Result<Vec<u8>, ArchiveError> {
    let info = trove_tarball::inspect_sdist(io::BufReader::new(file), limits)?;
    let root = info.root.ok_or_else(|| {
        ArchiveError::invalid("an sdist must hold exactly one top-level directory, `{name}-{version}/`")
    })?;
    if !names_dist(&root, dist) {
        return Err(ArchiveError::invalid(format!(
            "the sdist's top-level directory `{root}/` does not name {} {}",
            dist.project, dist.version
        )));
    }
    info.pkg_info
        .ok_or_else(|| ArchiveError::invalid(format!("the sdist has no `{root}/PKG-INFO`")))
}

fn wheel_metadata<R: Read + Seek>(file: R, dist: &DistFile, limits: &Limits) -> Result<Vec<u8>, ArchiveError> {
    let mut zip = zip::ZipArchive::new(io::BufReader::new(file))
        .map_err(|e| ArchiveError::invalid(format!("not a valid wheel (zip) file: {e}")))?;
    if zip.len() as u64 > limits.max_entries {
        return Err(trove_tarball::TarballError::TooManyEntries(limits.max_entries).into());
    }
    let mut seen = HashSet::new();
    let mut metadata = None;
    let mut unpacked = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| ArchiveError::invalid(format!("wheel member {i}: {e}")))?;
        let Some(path) = trove_tarball::member_path(entry.name_raw(), limits.max_path_len)? else {
            continue;
        };
        if entry.is_symlink() {
            return Err(ArchiveError::invalid(format!(
                "`{path}` is a symlink; wheels may not hold links"
            )));
        }
        if !seen.insert(path.clone()) {
            return Err(trove_tarball::TarballError::DuplicatePath(path).into());
        }
        if entry.is_dir() {
            continue;
        }
        let wanted = path
            .strip_suffix(".dist-info/METADATA")
            .is_some_and(|stem| !stem.contains('/') && names_dist(stem, dist));
        let cap = limits.max_file_bytes.min(limits.max_unpacked_bytes - unpacked) + 1;
        let mut head = Vec::new();
        let keep = if wanted { limits.max_manifest_bytes + 1 } else { 0 };
        let read = |e: io::Error| ArchiveError::invalid(format!("`{path}` cannot be read: {e}"));
        (&mut entry).take(keep.min(cap)).read_to_end(&mut head).map_err(read)?;
        let rest = io::copy(&mut (&mut entry).take(cap - head.len() as u64), &mut io::sink()).map_err(read)?;
        let size = head.len() as u64 + rest;
        if size >= cap {
            let limit = limits.max_file_bytes.min(limits.max_unpacked_bytes);
            return Err(ArchiveError {
                message: format!("the wheel unpacks to more than {limit} bytes (at `{path}`)"),
                too_large: true,
            });
        }
        unpacked += size;
        if wanted {
            if size > limits.max_manifest_bytes {
                return Err(ArchiveError::invalid(format!(
                    "`{path}` is larger than {} bytes",
                    limits.max_manifest_bytes
                )));
            }
            metadata = Some(head);
        }
    }
    metadata.ok_or_else(|| {
        ArchiveError::invalid(format!(
            "the wheel has no `.dist-info/METADATA` for {} {}",
            dist.project, dist.version
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::parse_filename;
    use std::io::{Cursor, Write};

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        zip_with(members, zip::CompressionMethod::Deflated)
    }

    fn zip_with(members: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, data) in members {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    const META: &[u8] = b"Metadata-Version: 2.4\nName: Alpha.Pkg\nVersion: 1.0\nRequires-Dist: beta\n";

    #[test]
    fn reads_wheel_metadata() {
        let dist = parse_filename("alpha_pkg-1.0-py3-none-any.whl").unwrap();
        let whl = zip_of(&[
            ("alpha_pkg/__init__.py", b"X=1\n"),
            ("alpha_pkg-1.0.dist-info/METADATA", META),
        ]);
        let got = inspect(Cursor::new(whl), &dist, &Limits::default()).unwrap();
        assert_eq!(got.metadata_bytes, META);
        assert_eq!(got.metadata.requires_dist, ["beta"]);
        assert!(got.serve_metadata);
    }

    #[test]
    fn refuses_bad_wheels() {
        let dist = parse_filename("alpha_pkg-1.0-py3-none-any.whl").unwrap();
        let err = |bytes: Vec<u8>, limits: &Limits| inspect(Cursor::new(bytes), &dist, limits).unwrap_err();
        let l = Limits::default();
        assert!(err(zip_of(&[("alpha_pkg/__init__.py", b"")]), &l)
            .message
            .contains("no `.dist-info/METADATA`"));
        let other = zip_of(&[("other-1.0.dist-info/METADATA", META)]);
        assert!(err(other, &l).message.contains("no `.dist-info/METADATA`"));
        let traversal = zip_of(&[("../evil.py", b""), ("alpha_pkg-1.0.dist-info/METADATA", META)]);
        assert!(err(traversal, &l).message.contains("`..`"));
        let absolute = zip_of(&[("/etc/evil", b"")]);
        assert!(err(absolute, &l).message.contains("absolute"));
        assert!(err(b"not a zip".to_vec(), &l).message.contains("not a valid wheel"));
        let small = Limits {
            max_unpacked_bytes: 1 << 20,
            ..Limits::default()
        };
        let zeros = vec![0u8; 4 << 20];
        let bomb = zip_of(&[("alpha_pkg-1.0.dist-info/METADATA", META), ("zeros.bin", &zeros)]);
        assert!(bomb.len() < 64 << 10);
        assert!(err(bomb, &small).too_large);
    }

    #[test]
    fn sdist_root_and_pkg_info() {
        let dist = parse_filename("alpha_pkg-1.0.tar.gz").unwrap();
        let gz = trove_tarball::ArchiveBuilder::new()
            .file("alpha_pkg-1.0/PKG-INFO", META)
            .file("alpha_pkg-1.0/setup.py", b"")
            .finish();
        let got = inspect(Cursor::new(gz), &dist, &Limits::default()).unwrap();
        assert_eq!(got.metadata.name, "Alpha.Pkg");
        assert!(got.serve_metadata);
        let wrong_root = trove_tarball::ArchiveBuilder::new()
            .file("other-1.0/PKG-INFO", META)
            .finish();
        assert!(inspect(Cursor::new(wrong_root), &dist, &Limits::default())
            .unwrap_err()
            .message
            .contains("does not name"));
        let traversal = trove_tarball::ArchiveBuilder::new()
            .file("alpha_pkg-1.0/PKG-INFO", META)
            .raw_path_file("alpha_pkg-1.0/../../x", b"")
            .finish();
        assert!(inspect(Cursor::new(traversal), &dist, &Limits::default()).is_err());
    }
}
