use super::{json, name_of, packument};
use crate::errors::{NpmError, NpmResult};
use crate::route::Req;
use axum::http::StatusCode;
use axum::response::Response;

/// `GET /npm/<pkg>/<version or dist-tag>`: one version's document.
pub async fn get_version(req: Req, name: &str, version: &str) -> NpmResult<Response> {
    let name = name_of(&req, name)?;
    let p = packument(&req, &name).await?;
    let pkg = &p.package;
    let wanted = pkg
        .dist_tags
        .iter()
        .find(|(t, _)| t == version)
        .map(|(_, v)| v.as_str())
        .unwrap_or(version);
    let v = pkg
        .versions
        .iter()
        .find(|v| v.version == wanted)
        .ok_or_else(|| NpmError::not_found(format!("`{}` has no version or dist-tag `{version}`", name.npm())))?;
    Ok(json(StatusCode::OK, p.version_value(v)))
}
