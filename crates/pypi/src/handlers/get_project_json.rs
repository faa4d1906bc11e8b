use super::get_project::upload_time;
use crate::auth::Caller;
use crate::errors::PypiResult;
use crate::names::normalize;
use crate::PypiState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use trove_core::{Ecosystem, FileKind};
use trove_service::packages::{FileView, ReleaseView};

/// `GET /pypi/{scope}/{project}/json`: the Warehouse JSON API (`info` of the latest version,
/// `releases` by version, `urls` of the latest), for tools that read it. Private projects are
/// 404 to outsiders, like missing ones.
pub async fn get_project_json(
    State(state): State<PypiState>,
    Caller(ctx): Caller,
    Path((scope, project)): Path<(String, String)>,
    headers: HeaderMap,
) -> PypiResult<Response> {
    let project = normalize(&project);
    let releases = state
        .services
        .packages()
        .of(Ecosystem::Pypi)
        .releases(&ctx, &scope, &project)
        .await?;
    let base = format!("{}/pypi/{scope}/files/{project}", state.origin.of(&headers));
    let file_json = |f: &FileView, v: &ReleaseView| file_entry(&base, f, v);
    let mut by_version = Map::new();
    for v in releases.versions.iter().rev() {
        let files: Vec<Value> = dists(v).map(|f| file_json(f, v)).collect();
        by_version.insert(v.version.version.clone(), Value::Array(files));
    }
    let pkg = &releases.package;
    let latest = pkg
        .latest_version
        .as_deref()
        .and_then(|l| releases.versions.iter().find(|v| v.version.version == l))
        .or(releases.versions.first());
    let m = latest.map(|v| &v.version.manifest).cloned().unwrap_or(Value::Null);
    let project_urls: Map<String, Value> = m["project_urls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p[0].as_str()?.to_string(), p[1].clone())))
        .collect();
    let info = json!({
        "name": m["name"].as_str().unwrap_or(&pkg.name),
        "version": latest.map(|v| v.version.version.clone()),
        "summary": m["summary"],
        "description": pkg.readme,
        "description_content_type": m["description_content_type"],
        "license": m["license"],
        "license_expression": m["license_expression"],
        "home_page": m["home_page"],
        "author": m["author"],
        "author_email": m["author_email"],
        "keywords": m["keywords"].as_array().map(|k| k.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")),
        "classifiers": m["classifiers"],
        "requires_dist": m["requires_dist"].as_array().filter(|a| !a.is_empty()),
        "requires_python": m["requires_python"],
        "project_urls": project_urls,
        "yanked": latest.is_some_and(|v| v.version.yanked),
        "yanked_reason": latest.and_then(|v| yanked_reason(v)),
    });
    let urls: Vec<Value> = latest
        .map(|v| dists(v).map(|f| file_json(f, v)).collect())
        .unwrap_or_default();
    let body = json!({ "info": info, "last_serial": 0, "releases": by_version, "urls": urls, "vulnerabilities": [] });
    Ok(([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response())
}

/// Why a yanked version was yanked, as Warehouse says it (`null` when not yanked or not said).
fn yanked_reason(v: &ReleaseView) -> Option<&str> {
    v.version.yanked.then_some(()).and(v.version.yank_reason.as_deref())
}

/// The sdists and wheels of a version (not the PEP 658 companions).
fn dists(v: &ReleaseView) -> impl Iterator<Item = &FileView> {
    v.files
        .iter()
        .filter(|f| matches!(f.kind, FileKind::Sdist | FileKind::Wheel))
}

fn file_entry(base: &str, f: &FileView, v: &ReleaseView) -> Value {
    let wheel = f.kind == FileKind::Wheel;
    let time = upload_time(f.uploaded_at_ms);
    json!({
        "filename": f.filename,
        "url": format!("{base}/{}", trove_core::url::encode(&f.filename)),
        "digests": { "sha256": f.digest.trim_start_matches("sha256:") },
        "size": f.size,
        "packagetype": if wheel { "bdist_wheel" } else { "sdist" },
        "python_version": if wheel { f.metadata["python_version"].clone() } else { json!("source") },
        "requires_python": f.metadata["requires_python"],
        "upload_time": time.get(..19).unwrap_or(&time),
        "upload_time_iso_8601": time,
        "yanked": v.version.yanked,
        "yanked_reason": yanked_reason(v),
        "has_sig": false,
        "comment_text": "",
    })
}
