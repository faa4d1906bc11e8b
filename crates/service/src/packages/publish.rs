//! Publishing a version: the archive was staged (hashed, size-limited) by the front-end;
//! here it is validated, stored under its digest, and committed in one transaction.

use super::release::{NewRelease, NewReleaseFile, ReleaseMeta};
use crate::views::VersionView;
use crate::{Ctx, ErrorKind, Result, ServiceError};
use trove_core::name::{PackageName, ScopeName};
use trove_core::{FileKind, Visibility};
use trove_storage::StagedBlob;
use trove_tarball::ArchiveInfo;

pub struct PublishRequest {
    pub scope: String,
    pub name: String,
    pub version: String,
    /// Visibility for a package's first version; later versions keep the package's.
    pub visibility: Option<Visibility>,
    /// The finished upload.
    pub archive: StagedBlob,
}

impl crate::packages::Packages<'_> {
    /// Publishes a native version: checks the archive and its `trove.toml` against the
    /// request, then publishes it as a release of one archive (`publish_release`: rights,
    /// privacy, numbers never reused, one transaction, search, webhooks).
    pub async fn publish(&self, ctx: &Ctx, req: PublishRequest) -> Result<VersionView> {
        ctx.require_scope(trove_core::TokenScope::Publish)?;
        let (version, info) = self.check_archive(ctx, &req).await?;
        let p = &info.manifest.package;
        let manifest = serde_json::to_value(&info.manifest).map_err(|e| ServiceError::internal(e.to_string()))?;
        let dependencies =
            serde_json::to_value(&info.manifest.dependencies).map_err(|e| ServiceError::internal(e.to_string()))?;
        let version = version.to_string();
        let release = NewRelease {
            files: vec![NewReleaseFile {
                filename: super::archive_file_name(&req.scope, &req.name, &version),
                kind: FileKind::Archive,
                blob: req.archive,
                metadata: serde_json::Value::Null,
            }],
            scope: req.scope,
            name: req.name,
            version,
            kind: p.kind,
            visibility: req.visibility,
            manifest,
            dependencies,
            meta: ReleaseMeta {
                description: p.description.clone(),
                license: p.license.clone(),
                keywords: p.keywords.clone(),
                categories: p.categories.clone(),
                homepage: p.homepage.clone(),
                repository: p.repository.clone(),
                readme: info.readme,
            },
            add_files: false,
        };
        self.publish_release(ctx, release).await
    }

    /// What only a native publish is refused for: names, an empty or unsafe archive, a
    /// `trove.toml` that does not match the request, dependencies that do not exist.
    async fn check_archive(&self, ctx: &Ctx, req: &PublishRequest) -> Result<(semver::Version, ArchiveInfo)> {
        let scope =
            ScopeName::parse(&req.scope).map_err(|e| ServiceError::bad_request("invalid_name", e.to_string()))?;
        let name =
            PackageName::parse(&req.name).map_err(|e| ServiceError::bad_request("invalid_name", e.to_string()))?;
        let version = trove_core::version::parse_version(&req.version)
            .map_err(|m| ServiceError::bad_request("invalid_version", m))?;
        let full = format!("{scope}/{name}");
        if req.archive.size() == 0 {
            return Err(ServiceError::bad_request(
                "archive_missing",
                "the request body is empty: send the .tar.gz archive",
            ));
        }
        let info = self.inspect_archive(&req.archive).await?;
        let m = &info.manifest;
        if m.package.name != full {
            return Err(ServiceError::unprocessable(
                "manifest_mismatch",
                format!("trove.toml names `{}` but the upload is for `{full}`", m.package.name),
            ));
        }
        if m.version() != version {
            return Err(ServiceError::unprocessable(
                "manifest_mismatch",
                format!(
                    "trove.toml has version {} but the upload is for {version}",
                    m.package.version
                ),
            ));
        }
        let mut conn = self.db.conn().await?;
        for dep in m.dependencies.keys() {
            let (ds, dn) = dep.split_once('/').unwrap_or(("", dep));
            if self
                .visible_package(&mut conn, ctx, super::NATIVE, ds, dn)
                .await
                .is_err()
            {
                return Err(ServiceError::unprocessable(
                    "dependency_unknown",
                    format!("dependency `{dep}` does not exist on this registry"),
                ));
            }
        }
        Ok((version, info))
    }

    async fn inspect_archive(&self, staged: &StagedBlob) -> Result<ArchiveInfo> {
        let path = staged.path_buf();
        let limits = self.config.archive_limits.clone();
        tokio::task::spawn_blocking(move || {
            let file = std::fs::File::open(&path)?;
            Ok::<_, std::io::Error>(trove_tarball::inspect(std::io::BufReader::new(file), &limits))
        })
        .await
        .map_err(|e| ServiceError::internal(e.to_string()))?
        .map_err(|e| ServiceError::internal(format!("reading the staged archive: {e}")))?
        .map_err(archive_refused)
    }
}

/// An archive the checks refuse: 413 past a size limit, else 422, with the check's code.
pub(crate) fn archive_refused(e: trove_tarball::TarballError) -> ServiceError {
    let kind = if e.is_too_large() {
        ErrorKind::TooLarge
    } else {
        ErrorKind::Unprocessable
    };
    ServiceError::new(kind, e.code(), e.to_string())
}
