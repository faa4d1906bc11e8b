use super::{next_link, page_size};
use crate::errors::OciResult;
use crate::request::Req;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// `GET /v2/<name>/tags/list?n=&last=`: tags in lexical order, with a `Link` header to the
/// next page when `n` cut the list.
pub async fn list_tags(req: Req) -> OciResult<Response> {
    let n = page_size(req.query("n"))?;
    let last = req.query("last").filter(|l| !l.is_empty());
    let page = req
        .state
        .services
        .oci()
        .list_tags(&req.caller.ctx, &req.repo, n, last)
        .await?;
    let mut res = axum::Json(serde_json::json!({ "name": req.repo.as_str(), "tags": page.tags })).into_response();
    if page.more {
        if let Some(l) = page.tags.last() {
            if let Ok(v) = next_link(&format!("/v2/{}/tags/list", req.repo), n, l).parse() {
                res.headers_mut().insert(header::LINK, v);
            }
        }
    }
    Ok(res)
}
