//! npm tarballs: `package/package.json` and the usual README names under `package/`, checked
//! by the same archive rules as native archives (`trove_tarball`), hashed the way npm
//! addresses them (sha1 `shasum`, sha512 `integrity`) in the same pass over the file.

use crate::{Result, ServiceError};
use base64::Engine as _;
use sha1::Sha1;
use sha2::{Digest as _, Sha512};
use std::io::Read;
use trove_tarball::{Archive, Format, Limits, TarballError};

/// The npm tarball format.
pub(crate) struct NpmTarball;

impl Format for NpmTarball {
    /// package.json, a JSON object.
    type Manifest = serde_json::Map<String, serde_json::Value>;
    const MANIFEST: &'static str = "package/package.json";
    const READMES: &'static [&'static str] = &[
        "package/README.md",
        "package/readme.md",
        "package/Readme.md",
        "package/README.markdown",
        "package/README",
        "package/readme",
        "package/README.txt",
    ];

    fn parse(text: &str) -> Result<Self::Manifest, TarballError> {
        let unreadable = |reason: String| TarballError::ManifestUnreadable {
            file: Self::MANIFEST,
            reason,
        };
        match serde_json::from_str(text) {
            Ok(serde_json::Value::Object(m)) => Ok(m),
            Ok(_) => Err(unreadable("is not a JSON object".into())),
            Err(e) => Err(unreadable(format!("is not valid JSON: {e}"))),
        }
    }

    fn named_readme(_: &Self::Manifest) -> Option<&str> {
        None
    }
}

/// A checked tarball and npm's digests of it.
pub(crate) struct Inspected {
    pub archive: Archive<serde_json::Map<String, serde_json::Value>>,
    /// sha1, hex: the packument's `dist.shasum`.
    pub shasum: String,
    /// `sha512-<base64>`: the packument's `dist.integrity` (Subresource Integrity).
    pub integrity: String,
}

/// Reads the file once: the archive checks, and the sha1 and sha512 of every byte of it.
pub(crate) async fn inspect(path: std::path::PathBuf, limits: Limits) -> Result<Inspected> {
    tokio::task::spawn_blocking(move || -> std::io::Result<Result<Inspected>> {
        let file = std::fs::File::open(&path)?;
        let mut reader = Hashing {
            inner: std::io::BufReader::new(file),
            sha1: Sha1::new(),
            sha512: Sha512::new(),
        };
        let checked = trove_tarball::inspect_as::<NpmTarball, _>(&mut reader, &limits);
        // Whatever the archive check left unread (bytes after the gzip stream) is hashed too.
        std::io::copy(&mut reader, &mut std::io::sink())?;
        let archive = match checked {
            Ok(a) => a,
            Err(e) => return Ok(Err(crate::packages::publish::archive_refused(e))),
        };
        Ok(Ok(Inspected {
            archive,
            shasum: hex::encode(reader.sha1.finalize()),
            integrity: format!(
                "sha512-{}",
                base64::engine::general_purpose::STANDARD.encode(reader.sha512.finalize())
            ),
        }))
    })
    .await
    .map_err(|e| ServiceError::internal(e.to_string()))?
    .map_err(|e| ServiceError::internal(format!("reading the staged tarball: {e}")))?
}

/// Hashes what passes through.
struct Hashing<R> {
    inner: R,
    sha1: Sha1,
    sha512: Sha512,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha1.update(&buf[..n]);
        self.sha512.update(&buf[..n]);
        Ok(n)
    }
}

/// Whether an SRI string (`sha512-… sha1-…`) agrees with ours: every hash it gives for an
/// algorithm we computed must match. `None` when it names none of them.
pub(crate) fn integrity_matches(claimed: &str, ours: &Inspected) -> Option<bool> {
    let sha1_b64 = hex::decode(&ours.shasum)
        .map(|b| base64::engine::general_purpose::STANDARD.encode(b))
        .unwrap_or_default();
    let mut any = false;
    for part in claimed.split_whitespace() {
        // An SRI hash may carry options after `?`.
        let part = part.split('?').next().unwrap_or(part);
        let (algo, value) = match part.split_once('-') {
            Some(p) => p,
            None => continue,
        };
        let expected = match algo {
            "sha512" => ours.integrity.trim_start_matches("sha512-"),
            "sha1" => sha1_b64.as_str(),
            _ => continue,
        };
        any = true;
        if value != expected {
            return Some(false);
        }
    }
    any.then_some(true)
}
