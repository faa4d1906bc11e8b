//! Reading a stored archive's members for people: a listing (path, kind, size, sha256) and
//! the first bytes of the members a caller asks for, for `.tar.gz` archives (native, npm,
//! Cargo, PyPI sdists) and zip files (PyPI wheels).
//!
//! The archives were checked on upload; reading them again applies the same limits (entries,
//! unpacked bytes, path rules) so a hostile archive can cost no more than one upload did.
//! Members whose path is not a clean relative path are left out of the listing.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};
use tar::EntryType;

use crate::{normalize_path, Counted, Limits, TarballError};

/// How an archive is packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// A gzipped tar stream.
    TarGz,
    /// A zip file (wheels).
    Zip,
}

impl Container {
    /// The container a stored file name implies (`.whl` and `.zip` are zip files; everything
    /// else Trove stores is a `.tar.gz`).
    pub fn of_filename(name: &str) -> Container {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".whl") || lower.ends_with(".zip") {
            Container::Zip
        } else {
            Container::TarGz
        }
    }
}

/// What a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    File,
    Dir,
    Symlink,
}

/// One member of an archive.
#[derive(Debug, Clone)]
pub struct Member {
    /// Normalized relative path (`a/b.txt`).
    pub path: String,
    pub kind: MemberKind,
    /// Size of the contents (files only; 0 otherwise).
    pub size: u64,
    /// sha256 of the whole contents (files only).
    pub sha256: Option<[u8; 32]>,
    /// The first bytes of the contents, as many as the caller asked for.
    pub head: Vec<u8>,
    /// A symlink's target.
    pub link: Option<String>,
}

/// Lists an archive's members in archive order, keeping of each file the first
/// `keep(path, size)` bytes (`size`: the size the archive declares for the member; the bytes
/// read are counted, not trusted to match it). Every file is read through (to hash it),
/// within `limits`.
pub fn members(
    bytes: &[u8],
    container: Container,
    limits: &Limits,
    mut keep: impl FnMut(&str, u64) -> u64,
) -> Result<Vec<Member>, TarballError> {
    match container {
        Container::TarGz => tar_members(bytes, limits, &mut keep),
        Container::Zip => zip_members(bytes, limits, &mut keep),
    }
}

/// Reads a member: the first `keep` bytes into `head`, the rest hashed and counted.
fn read_member(
    r: &mut impl Read,
    path: &str,
    keep: u64,
    limits: &Limits,
) -> Result<(u64, [u8; 32], Vec<u8>), io::Error> {
    let mut hasher = Sha256::new();
    let mut head = Vec::new();
    let mut size = 0u64;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        let room = keep.saturating_sub(head.len() as u64) as usize;
        head.extend_from_slice(&buf[..n.min(room)]);
        size += n as u64;
        if size > limits.max_file_bytes {
            return Err(io::Error::other(format!(
                "`{path}` is larger than {} bytes",
                limits.max_file_bytes
            )));
        }
    }
    Ok((size, hasher.finalize().into(), head))
}

fn tar_members(
    bytes: &[u8],
    limits: &Limits,
    keep: &mut dyn FnMut(&str, u64) -> u64,
) -> Result<Vec<Member>, TarballError> {
    let total = Rc::new(Cell::new(0));
    let io_err = |e: io::Error| {
        if total.get() > limits.max_unpacked_bytes {
            TarballError::ArchiveTooLarge(limits.max_unpacked_bytes)
        } else {
            TarballError::Invalid(e.to_string())
        }
    };
    let counted = Counted {
        inner: GzDecoder::new(bytes),
        total: total.clone(),
        limit: limits.max_unpacked_bytes,
    };
    let mut archive = tar::Archive::new(counted);
    let mut out = Vec::new();
    for entry in archive.entries().map_err(io_err)? {
        let mut entry = entry.map_err(io_err)?;
        if out.len() as u64 >= limits.max_entries {
            return Err(TarballError::TooManyEntries(limits.max_entries));
        }
        let ty = entry.header().entry_type();
        let raw = entry.path_bytes().into_owned();
        let Ok(Some(path)) = normalize_path(&raw, limits.max_path_len) else {
            continue;
        };
        let kind = match ty {
            EntryType::Regular | EntryType::Continuous if raw.ends_with(b"/") => MemberKind::Dir,
            EntryType::Regular | EntryType::Continuous => MemberKind::File,
            EntryType::Directory => MemberKind::Dir,
            EntryType::Symlink => MemberKind::Symlink,
            _ => continue,
        };
        let link = entry
            .link_name_bytes()
            .filter(|_| kind == MemberKind::Symlink)
            .map(|l| String::from_utf8_lossy(&l).into_owned());
        let (size, sha256, head) = if kind == MemberKind::File {
            let want = keep(&path, entry.size());
            let (size, digest, head) = read_member(&mut entry, &path, want, limits).map_err(io_err)?;
            (size, Some(digest), head)
        } else {
            (0, None, Vec::new())
        };
        out.push(Member {
            path,
            kind,
            size,
            sha256,
            head,
            link,
        });
    }
    Ok(out)
}

fn zip_members(
    bytes: &[u8],
    limits: &Limits,
    keep: &mut dyn FnMut(&str, u64) -> u64,
) -> Result<Vec<Member>, TarballError> {
    let mut zip = zip::ZipArchive::new(io::Cursor::new(bytes))
        .map_err(|e| TarballError::Invalid(format!("not a valid zip file: {e}")))?;
    if zip.len() as u64 > limits.max_entries {
        return Err(TarballError::TooManyEntries(limits.max_entries));
    }
    let mut out = Vec::new();
    let mut unpacked = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| TarballError::Invalid(format!("zip member {i}: {e}")))?;
        let Ok(Some(path)) = normalize_path(entry.name_raw(), limits.max_path_len) else {
            continue;
        };
        if entry.is_symlink() {
            continue;
        }
        if entry.is_dir() {
            out.push(Member {
                path,
                kind: MemberKind::Dir,
                size: 0,
                sha256: None,
                head: Vec::new(),
                link: None,
            });
            continue;
        }
        let want = keep(&path, entry.size());
        let (size, digest, head) =
            read_member(&mut entry, &path, want, limits).map_err(|e| TarballError::Invalid(e.to_string()))?;
        unpacked += size;
        if unpacked > limits.max_unpacked_bytes {
            return Err(TarballError::ArchiveTooLarge(limits.max_unpacked_bytes));
        }
        out.push(Member {
            path,
            kind: MemberKind::File,
            size,
            sha256: Some(digest),
            head,
            link: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArchiveBuilder;

    #[test]
    fn lists_tar_members_and_keeps_what_is_asked() {
        let gz = ArchiveBuilder::new()
            .dir("pkg/")
            .file("pkg/a.txt", b"hello world")
            .file("pkg/b.bin", &[0u8, 1, 2, 3])
            .symlink("pkg/l", "a.txt")
            .raw_path_file("../escape", b"x")
            .finish();
        let list = members(&gz, Container::TarGz, &Limits::default(), |p, size| {
            if p == "pkg/a.txt" {
                assert_eq!(size, 11, "the declared size");
                5
            } else {
                0
            }
        })
        .unwrap();
        let paths: Vec<&str> = list.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(paths, ["pkg", "pkg/a.txt", "pkg/b.bin", "pkg/l"]);
        assert_eq!(list[1].head, b"hello");
        assert_eq!(list[1].size, 11);
        assert!(list[2].head.is_empty());
        assert_eq!(list[2].size, 4);
        assert_eq!(list[3].kind, MemberKind::Symlink);
        assert_eq!(list[3].link.as_deref(), Some("a.txt"));
        let digest: [u8; 32] = Sha256::digest(b"hello world").into();
        assert_eq!(list[1].sha256, Some(digest));
    }

    #[test]
    fn lists_zip_members() {
        let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        use std::io::Write;
        w.start_file("x/__init__.py", opts).unwrap();
        w.write_all(b"print(1)\n").unwrap();
        w.start_file("../evil", opts).unwrap();
        w.write_all(b"x").unwrap();
        let bytes = w.finish().unwrap().into_inner();
        let list = members(&bytes, Container::Zip, &Limits::default(), |_, size| {
            assert_eq!(size, 9, "the declared size");
            100
        })
        .unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].path, "x/__init__.py");
        assert_eq!(list[0].head, b"print(1)\n");
        assert_eq!(Container::of_filename("x-1.0-py3-none-any.whl"), Container::Zip);
        assert_eq!(Container::of_filename("x-1.0.tar.gz"), Container::TarGz);
    }

    #[test]
    fn bombs_stop_at_the_limit() {
        let small = Limits {
            max_unpacked_bytes: 1 << 20,
            ..Limits::default()
        };
        let bomb = crate::gzip_bomb(4 << 20);
        assert!(members(&bomb, Container::TarGz, &small, |_, _| 0)
            .unwrap_err()
            .is_too_large());
    }
}
