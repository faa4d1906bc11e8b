use crate::auth::{open_registry, Caller};
use crate::errors::CargoResult;
use crate::CargoState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

/// `GET /cargo/{scope}/index/config.json`: where cargo downloads crates (`dl`) and finds
/// the web API (`api`); `auth-required` for registries that want the token on every request
/// (anonymous callers then get 401 with `WWW-Authenticate: Cargo login_url=…`).
pub async fn get_config(
    State(state): State<CargoState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
    headers: HeaderMap,
) -> CargoResult<Response> {
    let base = state.base(&headers);
    let registry = open_registry(&state, &ctx, &scope, &base).await?;
    let api = format!("{base}/cargo/{}", registry.scope);
    let mut body = serde_json::json!({ "dl": format!("{api}/api/v1/crates"), "api": api });
    if registry.auth_required {
        body["auth-required"] = true.into();
    }
    let cache = if registry.auth_required {
        "private, no-cache"
    } else {
        "no-cache"
    };
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static(cache))],
        axum::Json(body),
    )
        .into_response())
}
