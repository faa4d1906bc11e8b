//! Everything under `/v2/<name>/…`: the tail is parsed into the repository name and the
//! endpoint (names contain slashes, so the endpoint is found from the end), the caller is
//! authenticated and checked against the scope the endpoint needs, and the request goes to
//! the handler of that action.

use crate::auth;
use crate::auth::ClientIp;
use crate::errors::{Code, OciError, OciResult};
use crate::handlers;
use crate::request::{parse_query, Req};
use crate::OciState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use trove_service::oci::{OciAction, RepoName};

/// The endpoint a `/v2/<name>/…` path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Manifest(String),
    Blob(String),
    /// `blobs/uploads/` (start) or `blobs/uploads/<id>`.
    Uploads(Option<String>),
    Tags,
    Referrers(String),
}

/// Splits `<name>/<endpoint>`; `None` when no endpoint matches.
pub fn parse_path(rest: &str) -> Option<(&str, Target)> {
    let last_free = |s: &str| !s.is_empty() && !s.contains('/');
    if let Some(name) = rest.strip_suffix("/tags/list") {
        return Some((name, Target::Tags));
    }
    if let Some((name, r)) = rest.rsplit_once("/manifests/") {
        if last_free(r) {
            return Some((name, Target::Manifest(r.to_string())));
        }
    }
    if let Some((name, d)) = rest.rsplit_once("/referrers/") {
        if last_free(d) {
            return Some((name, Target::Referrers(d.to_string())));
        }
    }
    if let Some(name) = rest
        .strip_suffix("/blobs/uploads/")
        .or_else(|| rest.strip_suffix("/blobs/uploads"))
    {
        return Some((name, Target::Uploads(None)));
    }
    if let Some((name, id)) = rest.rsplit_once("/blobs/uploads/") {
        if last_free(id) {
            return Some((name, Target::Uploads(Some(id.to_string()))));
        }
    }
    if let Some((name, d)) = rest.rsplit_once("/blobs/") {
        if last_free(d) {
            return Some((name, Target::Blob(d.to_string())));
        }
    }
    None
}

/// What a request needs the caller to hold on the repository.
fn action_of(target: &Target, method: &Method) -> Option<OciAction> {
    match (target, method) {
        (Target::Manifest(_) | Target::Blob(_), &Method::GET | &Method::HEAD) => Some(OciAction::Pull),
        (Target::Tags | Target::Referrers(_), &Method::GET | &Method::HEAD) => Some(OciAction::Pull),
        (Target::Manifest(_), &Method::PUT) => Some(OciAction::Push),
        (Target::Manifest(_) | Target::Blob(_), &Method::DELETE) => Some(OciAction::Delete),
        (Target::Uploads(None), &Method::POST) => Some(OciAction::Push),
        (Target::Uploads(Some(_)), &Method::GET | &Method::PATCH | &Method::PUT | &Method::DELETE) => {
            Some(OciAction::Push)
        }
        _ => None,
    }
}

fn allowed_methods(target: &Target) -> &'static str {
    match target {
        Target::Manifest(_) => "GET, HEAD, PUT, DELETE",
        Target::Blob(_) => "GET, HEAD, DELETE",
        Target::Uploads(None) => "POST",
        Target::Uploads(Some(_)) => "GET, PATCH, PUT, DELETE",
        Target::Tags | Target::Referrers(_) => "GET, HEAD",
    }
}

/// `ANY /v2/{*rest}`.
pub async fn dispatch(
    State(state): State<OciState>,
    Path(rest): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    body: Body,
) -> Response {
    let Some((name, target)) = parse_path(&rest) else {
        return OciError::no_route().into_response();
    };
    let repo = match RepoName::parse(name) {
        Ok(r) => r,
        Err(e) => return OciError::from(e).into_response(),
    };
    let Some(action) = action_of(&target, &method) else {
        return OciError::new(Code::Unsupported, format!("{method} is not supported here"))
            .with_status(StatusCode::METHOD_NOT_ALLOWED)
            .with_header(header::ALLOW, allowed_methods(&target))
            .into_response();
    };
    let query = parse_query(uri.query().unwrap_or(""));
    let mut scope = auth::scope_for(repo.as_str(), action);
    if target == Target::Uploads(None) {
        // A mount also reads the source repository: ask for both, as registries do.
        let from = query.iter().find(|(k, _)| k == "from").map(|(_, v)| v.as_str());
        if let (true, Some(from)) = (query.iter().any(|(k, _)| k == "mount"), from) {
            if RepoName::parse(from).is_ok() {
                scope.push_str(&format!(" {}", auth::scope_for(from, OciAction::Pull)));
            }
        }
    }

    let caller = match auth::authenticate(&state, &headers, ip).await {
        Ok(c) => c,
        Err(e) => return auth::add_challenge(e, &state, &headers, Some(&scope)).into_response(),
    };
    if !caller.covers(repo.as_str(), action) {
        let value = auth::challenge_value(&state, &headers, Some(&scope), Some("insufficient_scope"));
        return OciError::new(
            Code::Unauthorized,
            format!("the token does not grant `{}` on `{repo}`", action.as_str()),
        )
        .with_header(header::WWW_AUTHENTICATE, &value)
        .into_response();
    }
    let req = Req {
        state: state.clone(),
        caller,
        repo,
        method: method.clone(),
        headers: headers.clone(),
        query,
        body,
    };
    let result: OciResult<Response> = match target {
        Target::Manifest(r) => match method {
            Method::PUT => handlers::put_manifest::put_manifest(req, r).await,
            Method::DELETE => handlers::delete_manifest::delete_manifest(req, r).await,
            _ => handlers::get_manifest::get_manifest(req, r).await,
        },
        Target::Blob(d) => match method {
            Method::DELETE => handlers::delete_blob::delete_blob(req, d).await,
            _ => handlers::get_blob::get_blob(req, d).await,
        },
        Target::Uploads(None) => handlers::start_upload::start_upload(req).await,
        Target::Uploads(Some(id)) => match method {
            Method::PATCH => handlers::patch_upload::patch_upload(req, id).await,
            Method::PUT => handlers::finish_upload::finish_upload(req, id).await,
            Method::DELETE => handlers::cancel_upload::cancel_upload(req, id).await,
            _ => handlers::get_upload::get_upload(req, id).await,
        },
        Target::Tags => handlers::list_tags::list_tags(req).await,
        Target::Referrers(d) => handlers::list_referrers::list_referrers(req, d).await,
    };
    match result {
        Ok(res) => res,
        Err(e) => auth::add_challenge(e, &state, &headers, Some(&scope)).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("acme/app/manifests/latest"),
            Some(("acme/app", Target::Manifest("latest".into())))
        );
        assert_eq!(
            parse_path("acme/tools/app/blobs/sha256:ab"),
            Some(("acme/tools/app", Target::Blob("sha256:ab".into())))
        );
        assert_eq!(
            parse_path("acme/app/blobs/uploads/"),
            Some(("acme/app", Target::Uploads(None)))
        );
        assert_eq!(
            parse_path("acme/app/blobs/uploads"),
            Some(("acme/app", Target::Uploads(None)))
        );
        assert_eq!(
            parse_path("acme/app/blobs/uploads/abc"),
            Some(("acme/app", Target::Uploads(Some("abc".into()))))
        );
        assert_eq!(parse_path("acme/app/tags/list"), Some(("acme/app", Target::Tags)));
        assert_eq!(
            parse_path("acme/app/referrers/sha256:ab"),
            Some(("acme/app", Target::Referrers("sha256:ab".into())))
        );
        // A repository may itself be called `blobs` or `manifests`.
        assert_eq!(
            parse_path("acme/blobs/manifests/v1"),
            Some(("acme/blobs", Target::Manifest("v1".into())))
        );
        assert_eq!(parse_path("acme/app"), None);
        assert_eq!(parse_path("acme/app/manifests/"), None);
    }

    #[test]
    fn queries() {
        let q = parse_query("scope=repository%3Aacme%2Fapp%3Apull&scope=registry:catalog:*&n=2&x");
        assert_eq!(q[0], ("scope".into(), "repository:acme/app:pull".into()));
        assert_eq!(q[1].1, "registry:catalog:*");
        assert_eq!(q[3], ("x".into(), String::new()));
        assert_eq!(parse_query("a=a+b%2")[0].1, "a b%2");
    }
}
