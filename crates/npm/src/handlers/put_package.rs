use super::{json, name_of, stage};
use crate::errors::{NpmError, NpmResult};
use crate::names::{dependency_key, NpmName};
use crate::route::Req;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use trove_core::Visibility;
use trove_service::blobs::BodyLimit;
use trove_service::npm::{NpmChange, NpmPublish};

/// `PUT /npm/<pkg>` and `PUT /npm/<pkg>/-rev/<rev>`: a publish when the body carries a
/// tarball in `_attachments` (`npm publish`); otherwise the packument sent back by
/// `npm deprecate`, `npm unpublish <pkg>@<version>` and `npm owner add/rm`. The body is
/// staged to disk, refused with 413 past `[npm] max_publish_bytes` before it is read whole.
pub async fn put_package(req: Req, name: &str, rev: Option<String>, body: Body) -> NpmResult<Response> {
    let name = name_of(&req, name)?;
    if req.ctx.principal.is_none() {
        return Err(NpmError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "publishing needs a token: run `npm login`, or set `_authToken` in .npmrc",
        ));
    }
    let staged = stage(&req, body, req.state.max_publish_bytes(), "publish body").await?;
    let path = staged.path_buf();
    let put: PutBody = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(path).map_err(|e| NpmError::bad_request("bad_body", e.to_string()))?;
        serde_json::from_reader(std::io::BufReader::new(file))
            .map_err(|e| NpmError::bad_request("invalid_body", format!("the body is not an npm packument: {e}")))
    })
    .await
    .map_err(|e| NpmError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))??;
    drop(staged);
    let npm_name = name.npm();
    for said in [&put.name, &put.id].into_iter().flatten() {
        if *said != npm_name {
            return Err(NpmError::bad_request(
                "name_mismatch",
                format!("the body is for `{said}` but was sent to `{npm_name}`"),
            ));
        }
    }
    if put.attachments.as_ref().is_some_and(|a| !a.is_empty()) {
        return publish(req, name, put).await;
    }
    let change = NpmChange {
        rev: rev.or(put.rev),
        versions: put.versions.map(|vs| {
            vs.into_iter()
                .map(|(v, doc)| {
                    let deprecated = doc.get("deprecated").and_then(Value::as_str).map(str::to_string);
                    (v, deprecated)
                })
                .collect()
        }),
        maintainers: match put.maintainers {
            None => None,
            Some(list) => Some(
                list.iter()
                    .map(|m| m.get("name").and_then(Value::as_str).map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| NpmError::bad_request("invalid_body", "every maintainer needs a `name`"))?,
            ),
        },
    };
    req.state
        .services
        .npm()
        .change(&req.ctx, &name.scope, &name.name, change)
        .await?;
    Ok(json(StatusCode::OK, serde_json::json!({ "ok": true, "id": npm_name })))
}

/// `npm publish`: one version document and its tarball.
async fn publish(req: Req, name: NpmName, put: PutBody) -> NpmResult<Response> {
    let npm_name = name.npm();
    let mut versions = put.versions.unwrap_or_default();
    if versions.len() != 1 {
        return Err(NpmError::bad_request(
            "invalid_body",
            format!("a publish carries exactly one version, not {}", versions.len()),
        ));
    }
    let (version, document) = versions.pop_first().expect("one version");
    let Value::Object(document) = document else {
        return Err(NpmError::bad_request(
            "invalid_body",
            "the version document is not an object",
        ));
    };
    let mut tarballs: Vec<(String, Attachment)> = put
        .attachments
        .unwrap_or_default()
        .into_iter()
        .filter(|(file, _)| file.ends_with(".tgz"))
        .collect();
    if tarballs.len() != 1 {
        return Err(NpmError::bad_request(
            "invalid_body",
            format!("a publish attaches exactly one .tgz tarball, not {}", tarballs.len()),
        ));
    }
    let (file, tarball) = tarballs.pop().expect("one tarball");
    if tarball.length.is_some_and(|n| n != tarball.data.len() as u64) {
        return Err(NpmError::bad_request(
            "length_mismatch",
            format!(
                "`{file}` decodes to {} bytes but its `length` says {}",
                tarball.data.len(),
                tarball.length.unwrap_or_default()
            ),
        ));
    }
    let tags = put
        .dist_tags
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, v)| v.as_str() == Some(version.as_str()))
        .map(|(t, _)| t)
        .collect();
    let visibility = match put.access.as_ref().and_then(Value::as_str) {
        None => None,
        Some("public") => Some(Visibility::Public),
        Some("restricted") => Some(Visibility::Private),
        Some(other) => {
            return Err(NpmError::bad_request(
                "invalid_access",
                format!("unknown access `{other}`: use public or restricted"),
            ))
        }
    };
    let unscoped = req.state.config.unscoped_namespace.as_deref();
    let dependencies = ["dependencies", "optionalDependencies"]
        .iter()
        .filter_map(|k| document.get(*k).and_then(Value::as_object))
        .flatten()
        .filter_map(|(dep, range)| Some((dependency_key(dep, unscoped), range.as_str()?.to_string())))
        .collect();
    let svc = &req.state.services;
    let size = tarball.data.len() as u64;
    let limit = BodyLimit {
        max: svc.config.max_archive_bytes,
        what: "tarball",
        too_large_code: "too_large",
        read_failed_code: "bad_body",
    };
    let mut bytes = futures::stream::iter([Ok::<_, std::convert::Infallible>(Bytes::from(tarball.data))]);
    let staged = svc.blobs().stage_body(&mut bytes, Some(size), limit).await?;
    let published = svc
        .npm()
        .publish(
            &req.ctx,
            NpmPublish {
                scope: name.scope.clone(),
                name: name.name.clone(),
                npm_name: npm_name.clone(),
                version,
                document,
                readme: put.readme.as_ref().and_then(Value::as_str).map(str::to_string),
                tags,
                visibility,
                dependencies,
                tarball: staged,
            },
        )
        .await?;
    Ok(json(
        StatusCode::CREATED,
        serde_json::json!({
            "ok": true,
            "id": npm_name,
            "version": published.version,
            "integrity": published.integrity,
        }),
    ))
}

/// The parts of a packument a PUT may carry; the rest is ignored.
#[derive(Deserialize)]
struct PutBody {
    #[serde(rename = "_id")]
    id: Option<String>,
    #[serde(rename = "_rev")]
    rev: Option<String>,
    name: Option<String>,
    versions: Option<BTreeMap<String, Value>>,
    #[serde(rename = "dist-tags")]
    dist_tags: Option<Map<String, Value>>,
    maintainers: Option<Vec<Value>>,
    access: Option<Value>,
    readme: Option<Value>,
    #[serde(rename = "_attachments")]
    attachments: Option<BTreeMap<String, Attachment>>,
}

#[derive(Deserialize)]
struct Attachment {
    /// Decoded while the body is parsed, from the parser's buffer (never held as text too).
    #[serde(deserialize_with = "base64_data")]
    data: Vec<u8>,
    length: Option<u64>,
}

fn base64_data<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = Vec<u8>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("the tarball as a base64 string")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Vec<u8>, E> {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| E::custom(format!("the attachment's data is not valid base64 ({e})")))
        }
    }
    d.deserialize_str(Visitor)
}
