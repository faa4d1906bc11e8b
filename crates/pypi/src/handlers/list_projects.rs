use super::{negotiate, redirect, respond_page, Page};
use crate::auth::Caller;
use crate::errors::PypiResult;
use crate::PypiState;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

/// `GET /pypi/{scope}/simple/`: the namespace's projects the caller may see (PEP 503/691).
/// A namespace that does not exist is 404.
pub async fn list_projects(
    State(state): State<PypiState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> PypiResult<Response> {
    let format = negotiate(&headers, query.as_deref())?;
    let projects = state.services.pypi().list_projects(&ctx, &scope).await?;
    let page = Page::new(format, crate::simple::render_index(format, &projects));
    Ok(respond_page(&headers, &page, ctx.principal.is_some()))
}

/// `GET /pypi/{scope}/simple`: to the index with its trailing slash.
/// (relative, so it holds behind any proxy path).
pub async fn redirect_index(RawQuery(query): RawQuery) -> Response {
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    redirect(&format!("simple/{query}"))
}
