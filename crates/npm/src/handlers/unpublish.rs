use super::{json, name_of};
use crate::errors::{NpmError, NpmResult};
use crate::route::Req;
use axum::http::StatusCode;
use axum::response::Response;

/// `DELETE /npm/<pkg>/-rev/<rev>`: `npm unpublish <pkg> --force` (and of a package's last
/// version): every version, within the grace period after publishing (site admins: any
/// time), or none.
pub async fn unpublish_package(req: Req, name: &str, rev: Option<String>) -> NpmResult<Response> {
    let name = name_of(&req, name)?;
    req.state
        .services
        .npm()
        .unpublish_package(&req.ctx, &name.scope, &name.name, rev.as_deref())
        .await?;
    Ok(json(
        StatusCode::OK,
        serde_json::json!({ "ok": true, "id": name.npm() }),
    ))
}

/// `DELETE /npm/<pkg>/-/<name>-<version>.tgz/-rev/<rev>`: what npm sends after the packument
/// without the version; unpublishes the version if that has not already.
pub async fn unpublish_tarball(req: Req, name: &str, file: &str) -> NpmResult<Response> {
    let name = name_of(&req, name)?;
    let version = version_of_file(&name.name, file)
        .ok_or_else(|| NpmError::not_found(format!("`{file}` is not a tarball of `{}`", name.npm())))?;
    req.state
        .services
        .npm()
        .unpublish_version(&req.ctx, &name.scope, &name.name, version)
        .await?;
    Ok(json(StatusCode::OK, serde_json::json!({ "ok": true })))
}

/// The version in `<name>-<version>.tgz`.
pub(crate) fn version_of_file<'a>(name: &str, file: &'a str) -> Option<&'a str> {
    file.strip_suffix(".tgz")?
        .strip_prefix(name)?
        .strip_prefix('-')
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_of_files() {
        use super::version_of_file as v;
        assert_eq!(v("a", "a-1.0.0.tgz"), Some("1.0.0"));
        assert_eq!(v("a-b", "a-b-1.0.0-rc.1.tgz"), Some("1.0.0-rc.1"));
        assert_eq!(v("a", "b-1.0.0.tgz"), None);
        assert_eq!(v("a", "a-.tgz"), None);
        assert_eq!(v("a", "a-1.0.0.tar.gz"), None);
    }
}
