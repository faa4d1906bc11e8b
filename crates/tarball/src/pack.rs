//! Packing a project directory into a deterministic archive.

use std::fs;
use std::io;
use std::path::Path;

use flate2::{write::GzEncoder, Compression};
use tar::EntryType;

use crate::build::append;
use crate::MANIFEST_FILE;

/// Directory names never packed, at any depth.
pub const ALWAYS_SKIPPED: &[&str] = &[".git", "target", "node_modules"];

/// An ignore pattern: `*` and `?` match within one path component, `**` across components; a
/// trailing `/` matches directories only; a leading `/` (or any inner `/`) anchors the pattern to
/// the root, otherwise it matches a file or directory name at any depth.
struct Pattern {
    glob: Vec<char>,
    anchored: bool,
    dir_only: bool,
}

impl Pattern {
    fn parse(p: &str) -> Option<Pattern> {
        let p = p.trim();
        if p.is_empty() || p.starts_with('#') {
            return None;
        }
        let dir_only = p.ends_with('/');
        let p = p.trim_end_matches('/');
        let p = p.strip_prefix("**/").unwrap_or(p);
        let anchored = p.contains('/');
        let glob: Vec<char> = p.trim_start_matches('/').chars().collect();
        (!glob.is_empty()).then_some(Pattern {
            glob,
            anchored,
            dir_only,
        })
    }

    fn matches(&self, rel: &str, is_dir: bool) -> bool {
        let subject = if self.anchored {
            rel
        } else {
            rel.rsplit('/').next().unwrap_or(rel)
        };
        (is_dir || !self.dir_only) && glob(&self.glob, &subject.chars().collect::<Vec<_>>())
    }
}

fn glob(p: &[char], s: &[char]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some(('*', rest)) => {
            let (cross, rest) = match rest.split_first() {
                Some(('*', rest)) => (true, rest),
                _ => (false, rest),
            };
            (0..=s.len())
                .take_while(|&i| cross || i == 0 || s[i - 1] != '/')
                .any(|i| glob(rest, &s[i..]))
        }
        Some(('?', rest)) => s.first().is_some_and(|&c| c != '/') && glob(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

/// Packs `dir` into a `.tar.gz`: entries sorted by name with `trove.toml` first, mtime 0, uid/gid
/// 0, mode 0644 (0755 for directories and executables). Skips [`ALWAYS_SKIPPED`] and paths
/// matching `ignore`; symlinks are stored as symlinks; other special files are an error.
pub fn pack_dir(dir: &Path, ignore: &[String]) -> io::Result<Vec<u8>> {
    let patterns: Vec<_> = ignore.iter().filter_map(|p| Pattern::parse(p)).collect();
    let mut tar = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    walk(&mut tar, dir, "", &patterns)?;
    tar.into_inner()?.finish()
}

fn walk(tar: &mut tar::Builder<GzEncoder<Vec<u8>>>, root: &Path, rel: &str, patterns: &[Pattern]) -> io::Result<()> {
    let mut names = fs::read_dir(root.join(rel))?
        .map(|e| {
            e?.file_name()
                .into_string()
                .map_err(|n| io::Error::new(io::ErrorKind::InvalidData, format!("{n:?}: file name is not UTF-8")))
        })
        .collect::<io::Result<Vec<_>>>()?;
    names.sort_by_key(|n| (!(rel.is_empty() && n == MANIFEST_FILE), n.clone()));

    for name in names {
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let full = root.join(&path);
        let meta = fs::symlink_metadata(&full)?;
        let (ft, is_dir) = (meta.file_type(), meta.is_dir());
        if (is_dir || name == ".git") && ALWAYS_SKIPPED.contains(&name.as_str())
            || patterns.iter().any(|p| p.matches(&path, is_dir))
        {
            continue;
        }
        if is_dir {
            append(
                tar,
                format!("{path}/").as_bytes(),
                EntryType::Directory,
                b"",
                0o755,
                0,
                io::empty(),
            )?;
            walk(tar, root, &path, patterns)?;
        } else if ft.is_file() {
            let data = fs::read(&full)?;
            let mode = if is_executable(&meta) { 0o755 } else { 0o644 };
            append(
                tar,
                path.as_bytes(),
                EntryType::Regular,
                b"",
                mode,
                data.len() as u64,
                &data[..],
            )?;
        } else if ft.is_symlink() {
            let target = fs::read_link(&full)?;
            let target = target.to_str().ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, format!("{path}: link target is not UTF-8"))
            })?;
            append(
                tar,
                path.as_bytes(),
                EntryType::Symlink,
                target.as_bytes(),
                0o777,
                0,
                io::empty(),
            )?;
        } else {
            let msg = format!("{path}: only files, directories and symlinks can be packed");
            return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignored(pattern: &str, path: &str, is_dir: bool) -> bool {
        Pattern::parse(pattern).is_some_and(|p| p.matches(path, is_dir))
    }

    #[test]
    fn glob_patterns() {
        assert!(ignored("*.log", "a.log", false));
        assert!(ignored("*.log", "deep/dir/a.log", false));
        assert!(!ignored("*.log", "a.log.txt", false));
        assert!(ignored("?.txt", "sub/a.txt", false));
        assert!(!ignored("?.txt", "ab.txt", false));
        assert!(ignored("/build", "build", true));
        assert!(!ignored("/build", "sub/build", true));
        assert!(ignored("build/", "sub/build", true));
        assert!(!ignored("build/", "build", false));
        assert!(ignored("docs/*.md", "docs/a.md", false));
        assert!(!ignored("docs/*.md", "docs/x/a.md", false));
        assert!(!ignored("docs/*.md", "x/docs/a.md", false));
        assert!(ignored("docs/**/*.md", "docs/x/y/a.md", false));
        assert!(ignored("**/cache", "a/b/cache", true));
        assert!(ignored("*", "anything", false));
        assert!(Pattern::parse("  ").is_none() && Pattern::parse("# comment").is_none());
        assert!(Pattern::parse("/").is_none());
    }
}
