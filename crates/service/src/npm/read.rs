//! What a packument shows of an npm package: its live versions with their documents and
//! tarball digests (the package's releases), dist-tags, maintainers, and a revision that
//! changes with any of them.

use crate::{Ctx, Result, ServiceError};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use trove_db::packages::Package;

/// An npm package as its packument shows it.
#[derive(Debug, Clone)]
pub struct NpmPackage {
    pub package: Package,
    /// Live versions, newest first.
    pub versions: Vec<NpmVersion>,
    /// Tag → version, by tag.
    pub dist_tags: Vec<(String, String)>,
    /// Usernames of the package's owners and maintainers.
    pub maintainers: Vec<String>,
    /// When anything shown last changed (ms).
    pub modified: i64,
    /// CouchDB-style revision (`<n>-<hash>`) of what is shown: a change sent back with an
    /// older one is refused, so it cannot undo what it did not see.
    pub rev: String,
}

#[derive(Debug, Clone)]
pub struct NpmVersion {
    pub version: String,
    /// The version document as published (package.json as the client normalized it, with
    /// `_id`, `_npmUser` and `hasInstallScript` set by the registry; no `dist`).
    pub document: Map<String, Value>,
    pub deprecated: Option<String>,
    pub published_at: i64,
    pub tarball: TarballFacts,
}

/// A tarball's facts for `dist`.
#[derive(Debug, Clone, Default)]
pub struct TarballFacts {
    pub file_name: String,
    pub shasum: String,
    pub integrity: String,
    pub file_count: Option<u64>,
    pub unpacked_size: Option<u64>,
}

impl NpmPackage {
    /// The version `latest` names (the newest when it names none).
    pub fn latest(&self) -> Option<&NpmVersion> {
        let tagged = self
            .dist_tags
            .iter()
            .find(|(t, _)| t == crate::packages::LATEST_TAG)
            .map(|(_, v)| v.as_str());
        tagged
            .and_then(|t| self.versions.iter().find(|v| v.version == t))
            .or(self.versions.first())
    }
}

impl super::Npm<'_> {
    /// The package as its packument shows it; 404 when the caller may not see it, or when
    /// every version was unpublished.
    pub async fn package(&self, ctx: &Ctx, scope: &str, name: &str) -> Result<NpmPackage> {
        let mut conn = self.db.conn().await?;
        let pkg = self.visible(&mut conn, ctx, scope, name).await?;
        self.load(&mut conn, pkg).await
    }

    /// Whether the package is public (`npm access get status`); 404 when the caller may not
    /// see it.
    pub async fn is_public(&self, ctx: &Ctx, scope: &str, name: &str) -> Result<bool> {
        let mut conn = self.db.conn().await?;
        Ok(!self.visible(&mut conn, ctx, scope, name).await?.is_private())
    }

    /// Makes the package public or private (`npm access set status=…`; owners only).
    pub async fn set_visibility(
        &self,
        ctx: &Ctx,
        scope: &str,
        name: &str,
        visibility: trove_core::Visibility,
    ) -> Result<()> {
        let mut tx = self.db.write().await?;
        let pkg = self.visible(&mut tx, ctx, scope, name).await?;
        self.packages()
            .of(super::ECOSYSTEM)
            .change_visibility(tx, ctx, pkg, visibility)
            .await?;
        Ok(())
    }

    /// Reads what the packument of `pkg` shows, in `conn` (which may be a transaction).
    pub(crate) async fn load(&self, conn: &mut trove_db::Conn, pkg: Package) -> Result<NpmPackage> {
        let releases = self.packages().of(super::ECOSYSTEM).load_releases(conn, &pkg).await?;
        if releases.versions.is_empty() {
            return Err(ServiceError::not_found(format!(
                "package `{}` has no versions (all were unpublished)",
                pkg.full_name()
            )));
        }
        let tags = trove_db::dist_tags::list(conn, pkg.id).await?;
        let owners = trove_db::owners::list(conn, pkg.id).await?;
        let mut modified = pkg.updated_at;
        let mut versions = Vec::with_capacity(releases.versions.len());
        for r in releases.versions {
            let v = r.version;
            let Value::Object(document) = v.manifest else {
                return Err(ServiceError::internal(format!(
                    "version {} has a corrupt document",
                    v.version
                )));
            };
            let tarball = r
                .files
                .first()
                .map(|f| {
                    let text = |k: &str| {
                        f.metadata
                            .get(k)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string()
                    };
                    TarballFacts {
                        file_name: f.filename.clone(),
                        shasum: text("shasum"),
                        integrity: text("integrity"),
                        file_count: f.metadata.get("fileCount").and_then(Value::as_u64),
                        unpacked_size: f.metadata.get("unpackedSize").and_then(Value::as_u64),
                    }
                })
                .unwrap_or_default();
            modified = modified.max(r.created_at_ms);
            versions.push(NpmVersion {
                version: v.version,
                document,
                deprecated: v.deprecated,
                published_at: r.created_at_ms,
                tarball,
            });
        }
        let mut dist_tags: Vec<(String, String)> = tags
            .iter()
            .filter(|t| versions.iter().any(|v| v.version == t.version))
            .map(|t| (t.tag.clone(), t.version.clone()))
            .collect();
        // A `latest` naming a version installs may not have yet (quarantined until its scan
        // passes) is shown as the newest release they may have.
        let hidden_latest = tags.iter().any(|t| t.tag == crate::packages::LATEST_TAG)
            && !dist_tags.iter().any(|(t, _)| t == crate::packages::LATEST_TAG);
        if hidden_latest {
            let release = versions
                .iter()
                .find(|v| semver::Version::parse(&v.version).is_ok_and(|s| s.pre.is_empty()))
                .or(versions.first());
            if let Some(v) = release {
                dist_tags.push((crate::packages::LATEST_TAG.to_string(), v.version.clone()));
                dist_tags.sort();
            }
        }
        modified = tags.iter().map(|t| t.updated_at).fold(modified, i64::max);
        let maintainers: Vec<String> = owners.into_iter().map(|o| o.username).collect();
        let rev = revision(&pkg, &versions, &dist_tags, &maintainers, modified);
        Ok(NpmPackage {
            package: pkg,
            versions,
            dist_tags,
            maintainers,
            modified,
            rev,
        })
    }
}

/// `<number of versions>-<hash of what is shown>`.
fn revision(
    pkg: &Package,
    versions: &[NpmVersion],
    tags: &[(String, String)],
    maintainers: &[String],
    modified: i64,
) -> String {
    let mut h = Sha256::new();
    h.update(pkg.visibility.as_str());
    h.update(modified.to_le_bytes());
    for v in versions {
        h.update([0]);
        h.update(&v.version);
        h.update([1]);
        h.update(v.deprecated.as_deref().unwrap_or_default());
    }
    for (t, v) in tags {
        h.update([2]);
        h.update(t);
        h.update([3]);
        h.update(v);
    }
    for m in maintainers {
        h.update([4]);
        h.update(m);
    }
    format!("{}-{}", versions.len(), &hex::encode(h.finalize())[..32])
}
