//! Building archives, including hostile ones: paths are written into the headers byte for byte.

use std::io::{self, Read, Write};

use flate2::{write::GzEncoder, Compression};
use tar::{EntryType, Header};

const IN_MEMORY: &str = "writing an archive to memory cannot fail";

/// Appends one entry with `path` and `link` written verbatim (GNU long-name records when longer
/// than the 100-byte header fields), mtime 0 and uid/gid 0.
pub(crate) fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &[u8],
    ty: EntryType,
    link: &[u8],
    mode: u32,
    size: u64,
    data: impl Read,
) -> io::Result<()> {
    let header = |name: &[u8], link: &[u8], ty, mode, size| {
        let mut h = Header::new_gnu();
        let old = h.as_old_mut();
        old.name[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
        old.linkname[..link.len().min(100)].copy_from_slice(&link[..link.len().min(100)]);
        h.set_entry_type(ty);
        h.set_mode(mode);
        h.set_size(size);
        h.set_uid(0);
        h.set_gid(0);
        h.set_cksum();
        h
    };
    for (long, ty) in [(path, EntryType::GNULongName), (link, EntryType::GNULongLink)] {
        if long.len() > 100 {
            let h = header(b"././@LongLink", b"", ty, 0o644, long.len() as u64 + 1);
            tar.append(&h, long.chain(&[0u8][..]))?;
        }
    }
    tar.append(&header(path, link, ty, mode, size), data)
}

/// Builds a `.tar.gz` in memory. Nothing is validated, so hostile archives can be made too.
pub struct ArchiveBuilder {
    tar: tar::Builder<GzEncoder<Vec<u8>>>,
}

impl Default for ArchiveBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ArchiveBuilder {
    pub fn new() -> Self {
        Self {
            tar: tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default())),
        }
    }

    fn entry(mut self, path: &[u8], ty: EntryType, link: &str, mode: u32, data: &[u8]) -> Self {
        append(&mut self.tar, path, ty, link.as_bytes(), mode, data.len() as u64, data).expect(IN_MEMORY);
        self
    }

    pub fn file(self, path: &str, contents: &[u8]) -> Self {
        self.entry(path.as_bytes(), EntryType::Regular, "", 0o644, contents)
    }

    /// A directory entry; a trailing `/` is added when missing.
    pub fn dir(self, path: &str) -> Self {
        let path = format!("{}/", path.trim_end_matches('/'));
        self.entry(path.as_bytes(), EntryType::Directory, "", 0o755, b"")
    }

    pub fn symlink(self, path: &str, target: &str) -> Self {
        self.entry(path.as_bytes(), EntryType::Symlink, target, 0o777, b"")
    }

    pub fn hardlink(self, path: &str, target: &str) -> Self {
        self.entry(path.as_bytes(), EntryType::Link, target, 0o644, b"")
    }

    pub fn char_device(self, path: &str) -> Self {
        self.entry(path.as_bytes(), EntryType::Char, "", 0o644, b"")
    }

    /// A regular file whose header path is exactly `raw_path` (`../../etc/passwd`, `/etc/x`, ...).
    /// Every builder method writes paths verbatim; this one exists to make the intent explicit.
    pub fn raw_path_file(self, raw_path: &str, contents: &[u8]) -> Self {
        self.entry(raw_path.as_bytes(), EntryType::Regular, "", 0o644, contents)
    }

    /// A regular file whose path is given only by a PAX `path` record (the ustar header names
    /// `pax-file`), as written by GNU tar and Python for long or non-ASCII names.
    pub fn pax_path_file(mut self, pax_path: &str, contents: &[u8]) -> Self {
        // A record is "<len> path=<value>\n" where <len> counts the whole record, itself included.
        let body = format!(" path={pax_path}\n");
        let mut len = body.len() + 1;
        while len != body.len() + len.to_string().len() {
            len = body.len() + len.to_string().len();
        }
        let record = format!("{len}{body}");
        let mut h = Header::new_ustar();
        h.as_old_mut().name[..9].copy_from_slice(b"PaxHeader");
        h.set_entry_type(EntryType::XHeader);
        h.set_size(record.len() as u64);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_cksum();
        self.tar.append(&h, record.as_bytes()).expect(IN_MEMORY);
        self.entry(b"pax-file", EntryType::Regular, "", 0o644, contents)
    }

    /// The `.tar.gz` bytes.
    pub fn finish(self) -> Vec<u8> {
        self.tar.into_inner().and_then(GzEncoder::finish).expect(IN_MEMORY)
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Minimal `trove.toml` text (name, version and dependencies) for tests.
pub fn manifest_toml(full_name: &str, version: &str, deps: &[(&str, &str)]) -> String {
    let mut out = format!("[package]\nname = {}\nversion = {}\n", quote(full_name), quote(version));
    if !deps.is_empty() {
        out += "\n[dependencies]\n";
        for (name, req) in deps {
            out += &format!("{} = {}\n", quote(name), quote(req));
        }
    }
    out
}

/// `trove.toml`, `README.md` and `src/lib.txt`.
pub fn simple_package(full_name: &str, version: &str, readme: &str) -> Vec<u8> {
    ArchiveBuilder::new()
        .file("trove.toml", manifest_toml(full_name, version, &[]).as_bytes())
        .file("README.md", readme.as_bytes())
        .file("src/lib.txt", format!("{full_name} {version}\n").as_bytes())
        .finish()
}

/// A valid manifest followed by one file of `unpacked_bytes` zeros, compressed as it streams.
pub fn gzip_bomb(unpacked_bytes: u64) -> Vec<u8> {
    let mut b = ArchiveBuilder::new().file("trove.toml", manifest_toml("bomb/bomb", "1.0.0", &[]).as_bytes());
    let zeros = io::repeat(0).take(unpacked_bytes);
    append(
        &mut b.tar,
        b"zeros.bin",
        EntryType::Regular,
        b"",
        0o644,
        unpacked_bytes,
        zeros,
    )
    .expect(IN_MEMORY);
    b.finish()
}
