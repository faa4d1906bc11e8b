use crate::auth::{open_registry, Caller};
use crate::cache::IndexFile;
use crate::errors::{CargoError, CargoResult};
use crate::metadata::IndexEntry;
use crate::names::{name_of_index_path, storage_name};
use crate::CargoState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest as _, Sha256};
use std::sync::Arc;
use trove_core::time::parse_rfc3339;
use trove_core::Ecosystem;
use trove_service::Ctx;

/// `GET /cargo/{scope}/index/{path}`: a crate's index file, one JSON line per version in
/// publish order, exactly as stored at publish time except `yanked`. `ETag` (a hash of the
/// body) and `Last-Modified` let cargo revalidate (304). Anonymous reads of public registries
/// are served from the per-node [`crate::cache::IndexCache`].
pub async fn get_index_file(
    State(state): State<CargoState>,
    Caller(ctx): Caller,
    Path((scope, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> CargoResult<Response> {
    // Read before anything else: a write committed meanwhile makes the entry unusable.
    let generation = state.services.db.write_generation();
    let anonymous = ctx.principal.is_none();
    if anonymous {
        if let Some(file) = state.index_cache.get(&scope, &path, generation) {
            return Ok(respond(&headers, &file, false));
        }
    }
    let registry = open_registry(&state, &ctx, &scope, &state.base(&headers)).await?;
    let (file, private) = render(&state, &ctx, &scope, &path).await?;
    let file = Arc::new(file);
    if anonymous && !private && !registry.auth_required {
        state.index_cache.put(&scope, &path, generation, file.clone());
    }
    Ok(respond(&headers, &file, private))
}

/// The index file of the crate at `path` and whether it is private.
async fn render(state: &CargoState, ctx: &Ctx, scope: &str, path: &str) -> CargoResult<(IndexFile, bool)> {
    let missing = || CargoError::not_found(format!("no crate at index path `{path}`"));
    let name = name_of_index_path(path).ok_or_else(missing)?;
    let stored = storage_name(name);
    let releases = state
        .services
        .packages()
        .of(Ecosystem::Cargo)
        .releases(ctx, scope, &stored)
        .await?;
    // `foo_bar` and `foo-bar` are one crate to Trove; the index serves it at its own path.
    if releases.package.name != stored {
        return Err(missing());
    }
    let mut versions = releases.versions;
    versions.sort_by_key(|v| (v.created_at_ms, v.version.version.clone()));
    let mut body = String::new();
    let mut modified = parse_rfc3339(&releases.package.updated_at).unwrap_or(0);
    for v in &versions {
        let mut entry: IndexEntry = serde_json::from_value(v.version.manifest.clone())
            .map_err(|e| CargoError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("stored index entry: {e}")))?;
        entry.yanked = v.version.yanked;
        body.push_str(&serde_json::to_string(&entry).expect("serializable"));
        body.push('\n');
        let yanked_at = v.version.yanked_at.as_deref().and_then(parse_rfc3339).unwrap_or(0);
        modified = modified.max(v.created_at_ms).max(yanked_at);
    }
    if body.is_empty() {
        return Err(missing());
    }
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(body.as_bytes()))[..32]);
    let file = IndexFile {
        body: Bytes::from(body),
        etag,
        modified_ms: modified,
    };
    Ok((file, releases.private))
}

/// 200 with the file, or 304 when the client's copy is current.
fn respond(headers: &HeaderMap, file: &IndexFile, private: bool) -> Response {
    let mut out = HeaderMap::new();
    out.insert(header::ETAG, HeaderValue::from_str(&file.etag).expect("hex"));
    if let Some(lm) = http_date(file.modified_ms) {
        out.insert(header::LAST_MODIFIED, lm);
    }
    let cache = if private { "private, no-cache" } else { "no-cache" };
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if not_modified(headers, &file.etag, file.modified_ms) {
        return (StatusCode::NOT_MODIFIED, out).into_response();
    }
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    (StatusCode::OK, out, file.body.clone()).into_response()
}

/// `If-None-Match` decides when sent; else `If-Modified-Since` (second precision).
fn not_modified(headers: &HeaderMap, etag: &str, modified_ms: i64) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        return inm
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t == etag || t.strip_prefix("W/") == Some(etag));
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| modified_ms / 1000 <= since.timestamp())
}

/// An HTTP date (`Sun, 06 Dec 2026 14:00:00 GMT`).
fn http_date(ms: i64) -> Option<HeaderValue> {
    let t = chrono::DateTime::from_timestamp_millis(ms)?;
    HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).ok()
}
