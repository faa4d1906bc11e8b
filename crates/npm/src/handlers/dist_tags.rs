use super::{json, name_of, small_json};
use crate::errors::{NpmError, NpmResult};
use crate::route::Req;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

/// `GET /npm/-/package/<pkg>/dist-tags` (`npm dist-tag ls`): `{tag: version}`.
pub async fn list_dist_tags(req: Req, name: &str) -> NpmResult<Response> {
    let name = name_of(&req, name)?;
    let tags = req
        .state
        .services
        .npm()
        .dist_tags(&req.ctx, &name.scope, &name.name)
        .await?;
    Ok(json(StatusCode::OK, tag_map(tags)))
}

/// `PUT /npm/-/package/<pkg>/dist-tags/<tag>` with the version as a JSON string
/// (`npm dist-tag add <pkg>@<version> <tag>`).
pub async fn set_dist_tag(req: Req, name: &str, tag: &str, body: Body) -> NpmResult<Response> {
    let name = name_of(&req, name)?;
    let version = match small_json(body, 1024).await? {
        Value::String(v) => v,
        _ => {
            return Err(NpmError::bad_request(
                "invalid_body",
                "send the version as a JSON string",
            ))
        }
    };
    let npm = req.state.services.npm();
    npm.set_dist_tag(&req.ctx, &name.scope, &name.name, tag, &version)
        .await?;
    let tags = npm.dist_tags(&req.ctx, &name.scope, &name.name).await?;
    Ok(json(StatusCode::CREATED, tag_map(tags)))
}

/// `DELETE /npm/-/package/<pkg>/dist-tags/<tag>` (`npm dist-tag rm`; not `latest`).
pub async fn remove_dist_tag(req: Req, name: &str, tag: &str) -> NpmResult<Response> {
    let name = name_of(&req, name)?;
    let npm = req.state.services.npm();
    npm.remove_dist_tag(&req.ctx, &name.scope, &name.name, tag).await?;
    let tags = npm.dist_tags(&req.ctx, &name.scope, &name.name).await?;
    Ok(json(StatusCode::OK, tag_map(tags)))
}

fn tag_map(tags: Vec<(String, String)>) -> Value {
    Value::Object(
        tags.into_iter()
            .map(|(t, v)| (t, Value::String(v)))
            .collect::<Map<_, _>>(),
    )
}
