//! Everything under `/npm/…`. Package names carry a slash (`@scope/name`, sent as
//! `@scope%2fname` or as is), so the path is decoded and parsed here into the endpoint it
//! addresses; the caller is authenticated once and the request goes to the handler of that
//! action.

use crate::errors::{NpmError, NpmResult};
use crate::handlers;
use crate::NpmState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use trove_service::Ctx;

/// The endpoint a path below `/npm/` addresses; package names as npm writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `/<pkg>` and `/<pkg>/-rev/<rev>`.
    Package {
        name: String,
        rev: Option<String>,
    },
    /// `/<pkg>/<version or dist-tag>`.
    Version {
        name: String,
        version: String,
    },
    /// `/<pkg>/-/<file>.tgz`, and `…/-rev/<rev>` (unpublish).
    Tarball {
        name: String,
        file: String,
    },
    /// `/-/package/<pkg>/dist-tags[/<tag>]`.
    DistTags {
        name: String,
        tag: Option<String>,
    },
    /// `/-/package/<pkg>/visibility` (read) and `/-/package/<pkg>/access` (set).
    Access(String),
    /// `/-/package/<pkg>/collaborators`.
    Collaborators(String),
    /// `/-/npm/v1/tokens`.
    Tokens,
    /// `/-/npm/v1/tokens/token/<key>`.
    Token(String),
    /// `/-/user/org.couchdb.user:<name>` (legacy login, user lookup).
    User(String),
    Whoami,
    Ping,
    /// `/-/v1/login`: a web login starts (`npm login`).
    WebLogin,
    /// `/-/v1/done?session=…`: a web login's poll.
    WebLoginDone,
    Search,
    /// `/-/npm/v1/security/advisories/bulk`.
    AuditBulk,
    /// `/-/npm/v1/security/audits/quick` (and `/audits`).
    AuditQuick,
}

/// Parses the (percent-decoded) path below `/npm/`.
pub fn parse_path(tail: &str) -> Option<Target> {
    let segs: Vec<&str> = tail.split('/').collect();
    // A package name takes one segment, two when scoped.
    let split_name = |segs: &[&str]| -> Option<(String, usize)> {
        match segs {
            [s, n, ..] if s.starts_with('@') && !n.is_empty() => Some((format!("{s}/{n}"), 2)),
            [n, ..] if !n.is_empty() && !n.starts_with('@') && *n != "-" => Some((n.to_string(), 1)),
            _ => None,
        }
    };
    match segs.as_slice() {
        ["-", "ping"] => Some(Target::Ping),
        ["-", "whoami"] => Some(Target::Whoami),
        ["-", "v1", "search"] => Some(Target::Search),
        ["-", "v1", "login"] => Some(Target::WebLogin),
        ["-", "npm", "v1", "tokens"] => Some(Target::Tokens),
        ["-", "npm", "v1", "tokens", "token", key] if !key.is_empty() => Some(Target::Token(key.to_string())),
        ["-", "v1", "done"] => Some(Target::WebLoginDone),
        ["-", "npm", "v1", "security", "advisories", "bulk"] => Some(Target::AuditBulk),
        ["-", "npm", "v1", "security", "audits", "quick"] | ["-", "npm", "v1", "security", "audits"] => {
            Some(Target::AuditQuick)
        }
        ["-", "user", user] | ["-", "user", user, "-rev", _] => user
            .strip_prefix("org.couchdb.user:")
            .filter(|u| !u.is_empty())
            .map(|u| Target::User(u.to_string())),
        ["-", "package", rest @ ..] => {
            let (name, used) = split_name(rest)?;
            match &rest[used..] {
                ["dist-tags"] | ["dist-tags", ""] => Some(Target::DistTags { name, tag: None }),
                ["dist-tags", tag] => Some(Target::DistTags {
                    name,
                    tag: Some(tag.to_string()),
                }),
                ["visibility"] | ["access"] => Some(Target::Access(name)),
                ["collaborators"] => Some(Target::Collaborators(name)),
                _ => None,
            }
        }
        ["-", ..] => None,
        _ => {
            let (name, used) = split_name(&segs)?;
            match &segs[used..] {
                [] | [""] => Some(Target::Package { name, rev: None }),
                ["-rev", rev] => Some(Target::Package {
                    name,
                    rev: Some(rev.to_string()),
                }),
                ["-", file] | ["-", file, "-rev", _] if !file.is_empty() => Some(Target::Tarball {
                    name,
                    file: file.to_string(),
                }),
                [version] if !version.is_empty() => Some(Target::Version {
                    name,
                    version: version.to_string(),
                }),
                _ => None,
            }
        }
    }
}

/// What a handler gets besides the body.
pub struct Req {
    pub state: NpmState,
    pub ctx: Ctx,
    pub method: Method,
    pub headers: HeaderMap,
    pub uri: Uri,
}

impl Req {
    /// The names of the query string.
    pub fn query(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_str(self.uri.query().unwrap_or("")).unwrap_or_default()
    }

    /// The registry's URL as clients reach it (`[server] base_url`, else the request's origin).
    pub fn registry_url(&self) -> String {
        format!("{}/npm", self.state.origin.of(&self.headers))
    }
}

/// `/npm` and `/npm/`: what npm's `ping` of old and humans get.
pub async fn registry_root() -> Response {
    axum::Json(serde_json::json!({ "registry": "trove", "npm": true })).into_response()
}

/// `ANY /npm/{*rest}`.
pub async fn dispatch(State(state): State<NpmState>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let ip = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let raw = uri.path().strip_prefix("/npm/").unwrap_or_default();
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned();
    let Some(target) = parse_path(&decoded) else {
        return NpmError::not_found(format!("no npm endpoint at /npm/{decoded}")).into_response();
    };
    // A login needs no credentials, and stale ones must not stand in its way.
    let login = matches!(
        (&target, &method),
        (Target::User(_), &Method::PUT) | (Target::WebLogin | Target::WebLoginDone, _)
    );
    let ctx = if login {
        Ctx { principal: None, ip }
    } else {
        match crate::auth::authenticate(&state, &headers, ip).await {
            Ok(ctx) => ctx,
            Err(e) => return e.into_response(),
        }
    };
    let req = Req {
        state,
        ctx,
        method,
        headers,
        uri,
    };
    route(req, target, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn route(req: Req, target: Target, body: Body) -> NpmResult<Response> {
    let read = req.method == Method::GET || req.method == Method::HEAD;
    match target {
        Target::Package { name, rev } => match req.method {
            _ if read => handlers::get_packument::get_packument(req, &name).await,
            Method::PUT => handlers::put_package::put_package(req, &name, rev, body).await,
            Method::DELETE => handlers::unpublish::unpublish_package(req, &name, rev).await,
            _ => Err(NpmError::method_not_allowed()),
        },
        Target::Version { name, version } if read => handlers::get_version::get_version(req, &name, &version).await,
        Target::Tarball { name, file } => match req.method {
            _ if read => handlers::get_tarball::get_tarball(req, &name, &file).await,
            Method::DELETE => handlers::unpublish::unpublish_tarball(req, &name, &file).await,
            _ => Err(NpmError::method_not_allowed()),
        },
        Target::DistTags { name, tag } => match (req.method.clone(), tag) {
            (_, None) if read => handlers::dist_tags::list_dist_tags(req, &name).await,
            (Method::PUT | Method::POST, Some(tag)) => handlers::dist_tags::set_dist_tag(req, &name, &tag, body).await,
            (Method::DELETE, Some(tag)) => handlers::dist_tags::remove_dist_tag(req, &name, &tag).await,
            _ => Err(NpmError::method_not_allowed()),
        },
        Target::Access(name) => match req.method {
            _ if read => handlers::access::get_visibility(req, &name).await,
            Method::POST => handlers::access::set_access(req, &name, body).await,
            _ => Err(NpmError::method_not_allowed()),
        },
        Target::Collaborators(name) if read => handlers::access::list_collaborators(req, &name).await,
        Target::Tokens => match req.method {
            _ if read => handlers::tokens::list_tokens(req).await,
            Method::POST => handlers::tokens::create_token(req, body).await,
            _ => Err(NpmError::method_not_allowed()),
        },
        Target::Token(key) if req.method == Method::DELETE => handlers::tokens::revoke_token(req, &key).await,
        Target::User(user) => match req.method {
            Method::PUT => handlers::login::login(req, &user, body).await,
            _ if read => handlers::login::get_user(req, &user).await,
            _ => Err(NpmError::method_not_allowed()),
        },
        Target::Whoami if read => handlers::whoami::whoami(req),
        Target::Ping if read => Ok(axum::Json(serde_json::json!({})).into_response()),
        Target::Search if read => handlers::search::search(req).await,
        Target::WebLogin if req.method == Method::POST => handlers::web_login::start_web_login(req).await,
        Target::WebLoginDone if read => handlers::web_login::poll_web_login(req).await,
        Target::AuditBulk | Target::AuditQuick if req.method == Method::POST => {
            handlers::audit::audit(req, target == Target::AuditBulk, body).await
        }
        _ => Err(NpmError::method_not_allowed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, rev: Option<&str>) -> Option<Target> {
        Some(Target::Package {
            name: name.into(),
            rev: rev.map(Into::into),
        })
    }

    #[test]
    fn paths() {
        assert_eq!(parse_path("@acme/a"), pkg("@acme/a", None));
        assert_eq!(parse_path("left-pad"), pkg("left-pad", None));
        assert_eq!(parse_path("@acme/a/-rev/3-abc"), pkg("@acme/a", Some("3-abc")));
        assert_eq!(
            parse_path("@acme/a/-/a-1.0.0.tgz"),
            Some(Target::Tarball {
                name: "@acme/a".into(),
                file: "a-1.0.0.tgz".into()
            })
        );
        assert_eq!(
            parse_path("@acme/a/-/a-1.0.0.tgz/-rev/2-x"),
            Some(Target::Tarball {
                name: "@acme/a".into(),
                file: "a-1.0.0.tgz".into()
            })
        );
        assert_eq!(
            parse_path("x/latest"),
            Some(Target::Version {
                name: "x".into(),
                version: "latest".into()
            })
        );
        assert_eq!(
            parse_path("-/package/@acme/a/dist-tags/beta"),
            Some(Target::DistTags {
                name: "@acme/a".into(),
                tag: Some("beta".into())
            })
        );
        assert_eq!(
            parse_path("-/package/x/dist-tags"),
            Some(Target::DistTags {
                name: "x".into(),
                tag: None
            })
        );
        assert_eq!(
            parse_path("-/user/org.couchdb.user:alice"),
            Some(Target::User("alice".into()))
        );
        assert_eq!(parse_path("-/user/org.couchdb.user:"), None);
        assert_eq!(parse_path("-/whoami"), Some(Target::Whoami));
        assert_eq!(parse_path("-/npm/v1/security/advisories/bulk"), Some(Target::AuditBulk));
        assert_eq!(parse_path("-/nothing"), None);
        assert_eq!(parse_path("@acme"), None);
        assert_eq!(parse_path(""), None);
        assert_eq!(parse_path("a/b/c"), None);
    }
}
