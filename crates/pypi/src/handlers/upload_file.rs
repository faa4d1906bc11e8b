use crate::archive::{self, Inspected};
use crate::auth;
use crate::errors::{PypiError, PypiResult};
use crate::form::{self, UploadForm};
use crate::names::{self, DistFile, DistKind};
use crate::PypiState;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use trove_core::version::EcoVersion;
use trove_core::{Ecosystem, FileKind, PackageKind};
use trove_service::packages::{NewRelease, NewReleaseFile, ReleaseMeta};
use trove_service::{ErrorKind, Services};
use trove_storage::StagedBlob;

/// `POST /pypi/{scope}/`: the legacy upload API (`:action=file_upload`) twine and
/// `uv publish` use. The file is staged while it streams (413 past the limit), its name,
/// digest and archive (zip/tar safety, core metadata naming the same project and version)
/// are checked, and it is published as a file of the version, created on its first file.
/// A file that exists answers 409 "File already exists" (what twine < 6.2 `--skip-existing` skips on).
pub async fn upload_file(
    State(state): State<PypiState>,
    Path(scope): Path<String>,
    request: Request,
) -> PypiResult<Response> {
    let svc = &state.services;
    let (parts, body) = request.into_parts();
    // Credentials are checked here rather than by an extractor, so that a refused upload's
    // body is drained (bounded) and the client reads the answer, not a reset connection.
    let ctx = match auth::authenticate(&state, &parts.headers, auth::client_ip(&parts)).await {
        Ok(ctx) if ctx.principal.is_some() => ctx,
        refused => {
            trove_service::blobs::stage::drain(&mut body.into_data_stream()).await;
            refused?;
            return Err(PypiError::unauthenticated(
                "uploads need credentials: username __token__ and a Trove API token as the password",
            ));
        }
    };
    let headers = parts.headers;
    let form = form::read(svc, &headers, body).await?;
    let upload = check_form(form)?;
    let inspected = inspect(svc, &upload).await?;
    check_metadata(&upload, &inspected)?;
    check_one_sdist(svc, &ctx, &scope, &upload).await?;
    let release = new_release(svc, &scope, upload, inspected).await?;
    let filename = release.files[0].filename.clone();
    svc.packages()
        .of(Ecosystem::Pypi)
        .publish_release(&ctx, release)
        .await
        .map_err(|e| match (e.kind, e.code) {
            (ErrorKind::Conflict, "file_exists") => {
                PypiError::new(StatusCode::CONFLICT, format!("File already exists ('{filename}')"))
            }
            // Any other 409 (a deleted version's number, a name too similar to another
            // project's) is a 400, which `--skip-existing` does not take for "exists".
            (ErrorKind::Conflict, _) => PypiError::bad_request(e.message),
            _ => e.into(),
        })?;
    Ok((StatusCode::OK, "OK\n").into_response())
}

/// An upload whose form passed the checks.
struct Upload {
    filename: String,
    dist: DistFile,
    staged: StagedBlob,
    form: UploadForm,
}

/// The action, the file, its name against the `name`, `version` and `filetype` fields, and
/// the digest the client computed.
fn check_form(mut form: UploadForm) -> PypiResult<Upload> {
    match form.get(":action") {
        Some("file_upload") => {}
        Some(other) => return Err(PypiError::bad_request(format!("Unsupported action `{other}`"))),
        None => return Err(PypiError::bad_request("Missing `:action` (expected file_upload)")),
    }
    let (filename, staged) = form
        .content
        .take()
        .ok_or_else(|| PypiError::bad_request("Upload payload does not have a file (`content`)"))?;
    let dist =
        names::parse_filename(&filename).map_err(|m| PypiError::bad_request(format!("Invalid file name: {m}")))?;
    let name = form
        .get("name")
        .ok_or_else(|| PypiError::bad_request("Missing the `name` field"))?;
    if !names::is_valid_project_name(name) {
        return Err(PypiError::bad_request(format!("Invalid project name `{name}`")));
    }
    let project = names::normalize(name);
    if dist.project != project {
        return Err(PypiError::bad_request(format!(
            "The file name `{filename}` is not for the project `{project}`"
        )));
    }
    let version = form
        .get("version")
        .ok_or_else(|| PypiError::bad_request("Missing the `version` field"))?;
    let version = EcoVersion::parse(Ecosystem::Pypi, version)
        .map_err(|m| PypiError::bad_request(format!("Invalid version: {m}")))?;
    if dist.version != version {
        return Err(PypiError::bad_request(format!(
            "The file name `{filename}` is not for version {version}"
        )));
    }
    if let Some(t) = form.get("filetype").filter(|t| *t != dist.kind.filetype()) {
        return Err(PypiError::bad_request(format!(
            "The file type `{t}` does not match the file name `{filename}`"
        )));
    }
    let digest = staged
        .digest()
        .ok_or_else(|| PypiError::bad_request("the upload did not finish"))?;
    if let Some(sent) = form.get("sha256_digest") {
        if !sent.eq_ignore_ascii_case(digest.hex()) {
            return Err(PypiError::bad_request(
                "The digest supplied does not match a digest calculated from the uploaded file (sha256_digest)",
            ));
        }
    }
    if staged.size() == 0 {
        return Err(PypiError::bad_request("The uploaded file is empty"));
    }
    Ok(Upload {
        filename,
        dist,
        staged,
        form,
    })
}

/// Reads the archive (off the async threads) with the configured archive limits.
async fn inspect(svc: &Services, upload: &Upload) -> PypiResult<Inspected> {
    let path = upload.staged.path_buf();
    let dist = upload.dist.clone();
    let limits = svc.config.archive_limits.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path)?;
        Ok::<_, std::io::Error>(archive::inspect(file, &dist, &limits))
    })
    .await
    .map_err(|e| PypiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map_err(|e| {
        PypiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("reading the staged upload: {e}"),
        )
    })?;
    checked.map_err(|e| {
        let status = if e.too_large {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
        PypiError::new(
            status,
            format!("Invalid distribution file `{}`: {}", upload.filename, e.message),
        )
    })
}

/// The core metadata names the project and the version of the upload.
fn check_metadata(upload: &Upload, inspected: &Inspected) -> PypiResult<()> {
    let m = &inspected.metadata;
    let version = EcoVersion::parse(Ecosystem::Pypi, &m.version).ok();
    if names::normalize(&m.name) != upload.dist.project || version.as_ref() != Some(&upload.dist.version) {
        return Err(PypiError::bad_request(format!(
            "The metadata in `{}` is for {} {}, not {} {}",
            upload.filename, m.name, m.version, upload.dist.project, upload.dist.version
        )));
    }
    Ok(())
}

/// A release has at most one sdist (as on PyPI): another sdist name for the same version
/// (`Alpha.Pkg-1.0.tar.gz` beside `alpha_pkg-1.0.tar.gz`) is refused. A project the caller
/// cannot see is left to the publish, which answers for it as for a missing one.
async fn check_one_sdist(svc: &Services, ctx: &trove_service::Ctx, scope: &str, upload: &Upload) -> PypiResult<()> {
    if upload.dist.kind != DistKind::Sdist {
        return Ok(());
    }
    let Ok(releases) = svc
        .packages()
        .of(Ecosystem::Pypi)
        .releases(ctx, scope, &upload.dist.project)
        .await
    else {
        return Ok(());
    };
    let same_version = |v: &&trove_service::packages::ReleaseView| {
        EcoVersion::parse(Ecosystem::Pypi, &v.version.version).is_ok_and(|n| n == upload.dist.version)
    };
    let other = releases.versions.iter().find(same_version).and_then(|v| {
        v.files
            .iter()
            .find(|f| f.kind == FileKind::Sdist && f.filename != upload.filename)
    });
    match other {
        Some(f) => Err(PypiError::bad_request(format!(
            "Only one sdist may be uploaded per release: {} {} has `{}`",
            upload.dist.project, upload.dist.version, f.filename
        ))),
        None => Ok(()),
    }
}

/// The release to publish: the distribution file and, when it is served (PEP 658), its core
/// metadata as a companion file `{filename}.metadata`.
async fn new_release(svc: &Services, scope: &str, upload: Upload, inspected: Inspected) -> PypiResult<NewRelease> {
    let Upload {
        filename,
        dist,
        staged,
        form,
    } = upload;
    let m = &inspected.metadata;
    let metadata_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&inspected.metadata_bytes));
    let mut files = vec![NewReleaseFile {
        filename: filename.clone(),
        kind: match dist.kind {
            DistKind::Sdist => FileKind::Sdist,
            DistKind::Wheel => FileKind::Wheel,
        },
        blob: staged,
        metadata: json!({
            "requires_python": m.requires_python,
            "core_metadata_sha256": inspected.serve_metadata.then_some(&metadata_sha256),
            "wheel_tags": dist.tags,
            "python_version": form.get("pyversion"),
            "name": m.name,
        }),
    }];
    if inspected.serve_metadata {
        let bytes = bytes::Bytes::from(inspected.metadata_bytes.clone());
        let mut stream = futures::stream::iter([Ok::<_, std::convert::Infallible>(bytes)]);
        let blob = svc.blobs().stage_body(&mut stream, None, form::file_limit(svc)).await?;
        files.push(NewReleaseFile {
            filename: format!("{filename}.metadata"),
            kind: FileKind::Other,
            blob,
            metadata: json!({ "core_metadata_of": filename }),
        });
    }
    Ok(NewRelease {
        scope: scope.to_string(),
        name: dist.project.clone(),
        version: dist.version.to_string(),
        kind: PackageKind::Library,
        visibility: None,
        manifest: serde_json::to_value(m).unwrap_or_default(),
        dependencies: json!(m.requires_dist),
        meta: release_meta(m),
        files,
        add_files: true,
    })
}

fn release_meta(m: &crate::metadata::CoreMetadata) -> ReleaseMeta {
    ReleaseMeta {
        description: m.summary.clone(),
        license: m.license_text().map(String::from),
        keywords: m.keywords.clone(),
        categories: Vec::new(),
        homepage: m
            .project_url(&["homepage", "home", "documentation"])
            .map(String::from)
            .or_else(|| m.home_page.clone()),
        repository: m
            .project_url(&["source", "repository", "source code", "code"])
            .map(String::from),
        readme: m.description.clone(),
    }
}
