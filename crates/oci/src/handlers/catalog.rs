use crate::auth;
use crate::auth::ClientIp;
use crate::errors::{Code, OciError, OciResult};
use crate::request::parse_query;
use crate::OciState;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};

/// `GET /v2/_catalog?n=&last=`: the repositories the caller can pull from, in lexical order,
/// with a `Link` header to the next page.
pub async fn list_catalog(
    State(state): State<OciState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Response {
    let scope = "registry:catalog:*";
    let result: OciResult<Response> = async {
        if method != Method::GET && method != Method::HEAD {
            return Err(
                OciError::new(Code::Unsupported, format!("{method} is not supported here"))
                    .with_header(header::ALLOW, "GET, HEAD"),
            );
        }
        let caller = auth::authenticate(&state, &headers, ip).await?;
        if let Some(g) = &caller.grants {
            if !g.iter().any(|a| a.kind == "registry" && a.name == "catalog") {
                let value = auth::challenge_value(&state, &headers, Some(scope), Some("insufficient_scope"));
                return Err(
                    OciError::new(Code::Unauthorized, "the token does not grant the catalog")
                        .with_header(header::WWW_AUTHENTICATE, &value),
                );
            }
        }
        let query = parse_query(uri.query().unwrap_or(""));
        let get = |k: &str| query.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        let n = super::page_size(get("n"))?;
        let page = state.services.oci().catalog(&caller.ctx, n, get("last")).await?;
        let mut res = axum::Json(serde_json::json!({ "repositories": page.tags })).into_response();
        if page.more {
            if let Some(last) = page.tags.last() {
                if let Ok(v) = super::next_link("/v2/_catalog", n, last).parse() {
                    res.headers_mut().insert(header::LINK, v);
                }
            }
        }
        Ok(res)
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e) => auth::add_challenge(e, &state, &headers, Some(scope)).into_response(),
    }
}
