use crate::error::{ApiResult, Json};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::AuthVia;

/// `GET /api/v1/me`: the caller, how they authenticated, and their organizations.
pub async fn get_me(State(state): State<AppState>, Caller(ctx): Caller) -> ApiResult<Json<serde_json::Value>> {
    let p = ctx.require()?;
    let orgs = state.services.orgs().orgs_of(p.user.id).await?;
    let mut body = crate::user_json(&p.user);
    body["auth"] = match &p.via {
        AuthVia::Session { csrf_token } => {
            serde_json::json!({ "type": "session", "csrf_token": csrf_token })
        }
        AuthVia::Token { id, scopes, patterns } => serde_json::json!({
            "type": "token", "token_id": id, "scopes": scopes, "packages": patterns,
        }),
    };
    body["organizations"] = orgs
        .into_iter()
        .map(|(name, role)| serde_json::json!({ "name": name, "role": role }))
        .collect();
    Ok(Json(body))
}
