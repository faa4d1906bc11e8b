//! What each protocol front-end declares to the HTTP stack in front of it, so that the stack
//! (rate limits, body timeouts) needs no knowledge of any protocol: the path prefix it owns,
//! which of its endpoints are password logins and where their username is, and how its
//! errors look on the wire.

use http::Method;

/// Where a login endpoint carries the username (and the secret, to tell an API token given
/// as a password from a real password).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginSource {
    /// HTTP Basic credentials only.
    Basic,
    /// HTTP Basic credentials, else a JSON or form body with `username` and `password`.
    BasicOrBody,
    /// HTTP Basic credentials, else a JSON or form body naming the user in this field, with
    /// `password` (npm's `PUT /-/user/org.couchdb.user:<name>` sends `name`).
    BasicOrBodyField(&'static str),
}

impl LoginSource {
    /// The body field naming the user, for sources that read the body.
    pub fn username_field(self) -> Option<&'static str> {
        match self {
            LoginSource::Basic => None,
            LoginSource::BasicOrBody => Some("username"),
            LoginSource::BasicOrBodyField(f) => Some(f),
        }
    }
}

/// One endpoint whose requests are login attempts.
#[derive(Debug, Clone, Copy)]
pub struct LoginEndpoint {
    /// `None`: every method.
    pub method: Option<&'static str>,
    /// The path; one ending in `*` stands for every path that starts with what precedes it
    /// (`/npm/-/user/org.couchdb.user:*`).
    pub path: &'static str,
    pub source: LoginSource,
    /// Whether a request is a login attempt even when it names no username (a login form);
    /// otherwise only requests carrying credentials are (a token service also serving
    /// anonymous tokens).
    pub always: bool,
}

/// A front-end's declaration.
#[derive(Debug, Clone, Copy)]
pub struct FrontEnd {
    pub name: &'static str,
    /// Paths it owns: equal to it or below it (`/v2` owns `/v2/…`); `/` owns everything the
    /// more specific front-ends do not.
    pub prefix: &'static str,
    pub logins: &'static [LoginEndpoint],
    /// The error body for an answer of the stack: `(content type, body)` from an error code
    /// and a message.
    pub error_body: fn(code: &ErrorCode, message: &str) -> (&'static str, Vec<u8>),
}

/// The errors the stack itself answers with, each front-end naming them its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    RateLimited,
    RequestTimeout,
}

impl FrontEnd {
    pub fn owns(&self, path: &str) -> bool {
        self.prefix == "/"
            || path == self.prefix
            || path.strip_prefix(self.prefix).is_some_and(|rest| rest.starts_with('/'))
    }

    /// The login endpoint this request is for, if any.
    pub fn login(&self, method: &Method, path: &str) -> Option<&LoginEndpoint> {
        self.logins
            .iter()
            .find(|l| l.matches(path) && l.method.is_none_or(|m| m == method.as_str()))
    }
}

impl LoginEndpoint {
    fn matches(&self, path: &str) -> bool {
        match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => self.path == path,
        }
    }
}

/// The front-end owning `path` among `front_ends` (the most specific prefix wins).
pub fn front_end_for<'a>(front_ends: &'a [FrontEnd], path: &str) -> Option<&'a FrontEnd> {
    front_ends
        .iter()
        .filter(|f| f.owns(path))
        .max_by_key(|f| f.prefix.len())
}

/// Trove's JSON error body, `{"error":{"code","message"}}`, for front-ends that use it.
pub fn json_error_body(code: &ErrorCode, message: &str) -> (&'static str, Vec<u8>) {
    let code = match code {
        ErrorCode::RateLimited => "rate_limited",
        ErrorCode::RequestTimeout => "request_timeout",
    };
    let body = serde_json::json!({ "error": { "code": code, "message": message } });
    ("application/json", body.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(_: &ErrorCode, _: &str) -> (&'static str, Vec<u8>) {
        ("text/plain", Vec::new())
    }

    const FRONT_ENDS: &[FrontEnd] = &[
        FrontEnd {
            name: "web",
            prefix: "/",
            logins: &[],
            error_body: body,
        },
        FrontEnd {
            name: "oci",
            prefix: "/v2",
            logins: &[LoginEndpoint {
                method: None,
                path: "/v2/token",
                source: LoginSource::BasicOrBody,
                always: false,
            }],
            error_body: body,
        },
    ];

    #[test]
    fn the_most_specific_prefix_owns_a_path() {
        assert_eq!(front_end_for(FRONT_ENDS, "/v2/x/manifests/1").unwrap().name, "oci");
        assert_eq!(front_end_for(FRONT_ENDS, "/v2").unwrap().name, "oci");
        assert_eq!(front_end_for(FRONT_ENDS, "/v20").unwrap().name, "web");
        assert_eq!(front_end_for(FRONT_ENDS, "/").unwrap().name, "web");
        let oci = &FRONT_ENDS[1];
        assert!(oci.login(&Method::GET, "/v2/token").is_some());
        assert!(oci.login(&Method::GET, "/v2/").is_none());
        let npm = FrontEnd {
            name: "npm",
            prefix: "/npm",
            logins: &[LoginEndpoint {
                method: Some("PUT"),
                path: "/npm/-/user/org.couchdb.user:*",
                source: LoginSource::BasicOrBodyField("name"),
                always: true,
            }],
            error_body: body,
        };
        let login = npm.login(&Method::PUT, "/npm/-/user/org.couchdb.user:alice").unwrap();
        assert_eq!(login.source.username_field(), Some("name"));
        assert!(npm.login(&Method::GET, "/npm/-/user/org.couchdb.user:alice").is_none());
        assert!(npm.login(&Method::PUT, "/npm/-/user/other").is_none());
    }

    #[test]
    fn json_errors_escape_messages() {
        let (ct, b) = json_error_body(&ErrorCode::RateLimited, "a \"quoted\"\nline");
        assert_eq!(ct, "application/json");
        let v = String::from_utf8(b).unwrap();
        assert_eq!(v, r#"{"error":{"code":"rate_limited","message":"a \"quoted\"\nline"}}"#);
    }
}
