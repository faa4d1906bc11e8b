//! What a request to a repository brings to its handler, and query-string decoding. Both the
//! router (`route`) and the handlers use it; neither depends on the other through it.

use crate::auth::Caller;
use crate::OciState;
use axum::body::Body;
use axum::http::{HeaderMap, Method};
use trove_service::oci::RepoName;

/// What a request to a repository brings to its handler.
pub struct Req {
    pub state: OciState,
    pub caller: Caller,
    pub repo: RepoName,
    pub method: Method,
    pub headers: HeaderMap,
    pub query: Vec<(String, String)>,
    pub body: Body,
}

impl Req {
    /// The first value of a query parameter.
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// Decodes `application/x-www-form-urlencoded` pairs (also used for query strings); a pair
/// that is not valid UTF-8 once decoded is kept with replacement characters.
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_else(|_| {
        // serde_urlencoded refuses invalid UTF-8 as a whole: decode pair by pair, lossily.
        q.split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                let dec = |s: &str| {
                    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("x={s}"))
                        .ok()
                        .and_then(|mut v| v.pop())
                        .map(|(_, v)| v)
                        .unwrap_or_else(|| s.to_string())
                };
                (dec(k), dec(v))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::parse_query;

    #[test]
    fn decodes_forms_and_queries() {
        assert_eq!(
            parse_query("a=1&b=x+y&c=%2Fz&&d"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "/z".into()),
                ("d".into(), "".into())
            ]
        );
        assert_eq!(
            parse_query("scope=repository%3Aalice%2Fapp%3Apull,push")[0].1,
            "repository:alice/app:pull,push"
        );
        assert_eq!(parse_query("a=%FF")[0].0, "a");
    }
}
