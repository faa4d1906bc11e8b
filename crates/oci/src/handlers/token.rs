use crate::auth;
use crate::auth::ClientIp;
use crate::errors::{Code, OciError, OciResult};
use crate::request::parse_query;
use crate::OciState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use trove_service::oci::Access;
use trove_service::Ctx;

/// The requested scopes: every `scope` parameter, each possibly several space-separated.
fn requested(values: impl Iterator<Item = String>) -> Vec<Access> {
    values
        .flat_map(|v| v.split(' ').map(str::to_string).collect::<Vec<_>>())
        .filter_map(|s| Access::parse_scope(&s))
        .collect()
}

/// A login failure: the client should send (other) credentials.
fn login_failed(e: OciError) -> OciError {
    let e = if e.is_unauthorized() {
        e
    } else {
        e.with_status(StatusCode::UNAUTHORIZED)
    };
    e.with_header(header::WWW_AUTHENTICATE, &format!("Basic realm=\"{}\"", auth::SERVICE))
}

async fn issue(state: &OciState, ctx: &Ctx, scopes: Vec<Access>) -> OciResult<(String, i64, i64)> {
    let svc = &state.services;
    let granted = svc.oci().grant(ctx, &scopes).await?;
    let key = state.signing_key().await?;
    let t = svc.oci().issue_token(
        key,
        ctx,
        granted,
        (state.config.token_ttl_secs as i64).saturating_mul(1000),
    )?;
    Ok((t.token, t.expires_in_secs, t.issued_at_ms))
}

/// `GET /v2/token?service=trove&scope=repository:<name>:pull,push`: a registry token for the
/// caller (Basic username + password or API token, a Bearer API token, or nobody) granting
/// what the caller may do of the requested scopes. Wrong credentials are 401.
pub async fn get_token(
    State(state): State<OciState>,
    uri: Uri,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Response {
    let result = async {
        let query = parse_query(uri.query().unwrap_or(""));
        let caller = auth::authenticate(&state, &headers, ip).await.map_err(login_failed)?;
        if caller.grants.is_some() {
            return Err(login_failed(OciError::new(
                Code::Unauthorized,
                "log in with a username and password or an API token to get a registry token",
            )));
        }
        let scopes = requested(query.into_iter().filter(|(k, _)| k == "scope").map(|(_, v)| v));
        let (token, expires_in, issued_at) = issue(&state, &caller.ctx, scopes).await?;
        Ok::<_, OciError>(
            axum::Json(serde_json::json!({
                "token": token,
                "access_token": token,
                "expires_in": expires_in,
                "issued_at": trove_core::time::rfc3339(issued_at),
            }))
            .into_response(),
        )
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /v2/token` (the OAuth2 password grant some clients use), form-encoded
/// `grant_type=password&username=…&password=…&scope=…`.
pub async fn post_token(State(state): State<OciState>, ClientIp(ip): ClientIp, body: axum::body::Bytes) -> Response {
    let result = async {
        let form = parse_query(std::str::from_utf8(&body).unwrap_or(""));
        let get = |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        if get("grant_type").as_deref() != Some("password") {
            return Err(
                OciError::new(Code::Unsupported, "only grant_type=password is supported")
                    .with_status(StatusCode::BAD_REQUEST),
            );
        }
        let ctx = Ctx { principal: None, ip };
        let principal = state
            .services
            .oci()
            .login(
                &ctx,
                &get("username").unwrap_or_default(),
                &get("password").unwrap_or_default(),
            )
            .await
            .map_err(|e| login_failed(e.into()))?;
        let ctx = Ctx {
            principal: Some(principal),
            ..ctx
        };
        let scope = get("scope").unwrap_or_default();
        let (token, expires_in, issued_at) = issue(&state, &ctx, requested(std::iter::once(scope.clone()))).await?;
        Ok::<_, OciError>(
            axum::Json(serde_json::json!({
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": expires_in,
                "scope": scope,
                "issued_at": trove_core::time::rfc3339(issued_at),
            }))
            .into_response(),
        )
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
