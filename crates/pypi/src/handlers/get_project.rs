use super::{negotiate, redirect, respond_page, Page};
use crate::auth::Caller;
use crate::errors::PypiResult;
use crate::names::normalize;
use crate::simple::{render_project, FileLink, ProjectPage};
use crate::PypiState;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use trove_core::{Ecosystem, FileKind};
use trove_service::packages::PackageReleases;

/// `GET /pypi/{scope}/simple/{project}/`: the project's files (PEP 503/691 by content
/// negotiation) with hashes, `requires-python`, PEP 658 metadata, yanks, sizes and upload
/// times, and its versions (PEP 700). A name that is not normalized redirects to the
/// normalized one; a private project is 404 to outsiders, exactly like a missing one.
/// Anonymous reads of public projects come from the per-node page cache when fresh.
pub async fn get_project(
    State(state): State<PypiState>,
    Caller(ctx): Caller,
    Path((scope, project)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> PypiResult<Response> {
    let normalized = normalize(&project);
    if normalized != project {
        let query = query.map(|q| format!("?{q}")).unwrap_or_default();
        return Ok(redirect(&format!("../{normalized}/{query}")));
    }
    let format = negotiate(&headers, query.as_deref())?;
    // Read before anything else: a write committed meanwhile makes the entry unusable.
    let generation = state.services.db.write_generation();
    let anonymous = ctx.principal.is_none();
    let key = (scope.clone(), project.clone(), format);
    if anonymous {
        if let Some(page) = state.pages.get(&key, generation) {
            return Ok(respond_page(&headers, &page, false));
        }
    }
    let releases = state
        .services
        .packages()
        .of(Ecosystem::Pypi)
        .releases(&ctx, &scope, &project)
        .await?;
    let page = std::sync::Arc::new(Page::new(format, render_project(format, &project_page(&releases))));
    if anonymous && !releases.private {
        state.pages.put(key, generation, page.clone());
    }
    Ok(respond_page(&headers, &page, releases.private))
}

/// `GET /pypi/{scope}/simple/{project}`: to the normalized name with its trailing slash.
pub async fn redirect_project(Path((_, project)): Path<(String, String)>, RawQuery(query): RawQuery) -> Response {
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    redirect(&format!("{}/{query}", normalize(&project)))
}

/// The page of a project: versions oldest first, and the sdists and wheels of each.
pub fn project_page(releases: &PackageReleases) -> ProjectPage {
    let name = releases.package.name.clone();
    let mut page = ProjectPage {
        name,
        versions: Vec::new(),
        files: Vec::new(),
    };
    for release in releases.versions.iter().rev() {
        let v = &release.version;
        page.versions.push(v.version.clone());
        for f in release
            .files
            .iter()
            .filter(|f| matches!(f.kind, FileKind::Sdist | FileKind::Wheel))
        {
            page.files.push(FileLink {
                filename: f.filename.clone(),
                url: format!("../../files/{}/{}", page.name, trove_core::url::encode(&f.filename)),
                sha256: f.digest.trim_start_matches("sha256:").to_string(),
                requires_python: f.metadata["requires_python"].as_str().map(String::from),
                metadata_sha256: f.metadata["core_metadata_sha256"].as_str().map(String::from),
                yanked: v.yanked.then(|| v.yank_reason.clone().unwrap_or_default()),
                size: f.size.max(0) as u64,
                upload_time: upload_time(f.uploaded_at_ms),
            });
        }
    }
    page
}

/// PEP 700's `yyyy-mm-ddThh:mm:ss.ffffffZ`.
pub fn upload_time(ms: i64) -> String {
    let t = trove_core::time::rfc3339(ms);
    match t.strip_suffix('Z') {
        Some(head) => format!("{head}000Z"),
        None => t,
    }
}
