use crate::error::{ApiResult, Json};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::views::user_view;
use trove_service::AuthVia;
use trove_wire::{Auth, Me, Membership};

/// `GET /api/v1/me`: the caller, how they authenticated, and their organizations.
pub async fn get_me(State(state): State<AppState>, Caller(ctx): Caller) -> ApiResult<Json<Me>> {
    let p = ctx.require()?;
    let orgs = state.services.orgs().orgs_of(p.user.id).await?;
    let auth = match &p.via {
        AuthVia::Session { csrf_token } => Auth::Session {
            csrf_token: csrf_token.clone(),
        },
        AuthVia::Token { id, scopes, patterns } => Auth::Token {
            token_id: *id,
            scopes: scopes.clone(),
            packages: patterns.clone(),
        },
    };
    Ok(Json(Me {
        user: user_view(&p.user),
        auth,
        organizations: orgs.into_iter().map(|(name, role)| Membership { name, role }).collect(),
    }))
}
