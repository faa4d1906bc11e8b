use crate::auth;
use crate::auth::ClientIp;
use crate::errors::{Code, OciError};
use crate::OciState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

/// `GET /v2/`: 200 for authenticated callers; anonymous ones get the 401 challenge that tells
/// clients where to fetch tokens (anonymous pulls of public repositories still work).
pub async fn check_base(
    State(state): State<OciState>,
    method: Method,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return OciError::new(Code::Unsupported, format!("{method} is not supported here"))
            .with_header(header::ALLOW, "GET, HEAD")
            .into_response();
    }
    let caller = match auth::authenticate(&state, &headers, ip).await {
        Ok(c) => c,
        Err(e) => return auth::add_challenge(e, &state, &headers, None).into_response(),
    };
    if caller.ctx.principal.is_none() && caller.grants.is_none() {
        let value = auth::challenge_value(&state, &headers, None, None);
        return OciError::new(Code::Unauthorized, "authentication required")
            .with_header(header::WWW_AUTHENTICATE, &value)
            .into_response();
    }
    super::respond(
        StatusCode::OK,
        &[
            ("content-type", "application/json".into()),
            ("content-length", "2".into()),
        ],
        if method == Method::HEAD {
            Body::empty()
        } else {
            Body::from("{}")
        },
    )
}
