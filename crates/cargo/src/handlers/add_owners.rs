use crate::auth::Caller;
use crate::errors::{CargoError, CargoResult};
use crate::names::storage_name;
use crate::CargoState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use trove_core::Ecosystem;

/// The body of owner changes: `{"users": ["login", …]}`.
#[derive(Deserialize)]
pub(crate) struct Users {
    pub users: Vec<String>,
}

impl Users {
    pub(crate) fn parse(body: &[u8]) -> CargoResult<Users> {
        let u: Users = serde_json::from_slice(body).map_err(|e| {
            CargoError::bad_request(format!(
                "invalid owners JSON (expected {{\"users\": [\"login\"]}}): {e}"
            ))
        })?;
        if u.users.is_empty() || u.users.len() > 20 {
            return Err(CargoError::bad_request("name 1 to 20 users"));
        }
        Ok(u)
    }
}

/// `PUT /cargo/{scope}/api/v1/crates/{name}/owners`: makes each user an owner of the crate
/// (`cargo owner --add`), immediately (Trove has no invitations).
pub async fn add_owners(
    State(state): State<CargoState>,
    Caller(ctx): Caller,
    Path((scope, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> CargoResult<Json<Value>> {
    let users = Users::parse(&crate::wire::read_json(&headers, body).await?)?;
    let packages = state.services.packages().of(Ecosystem::Cargo);
    for user in &users.users {
        packages
            .add_owner(&ctx, &scope, &storage_name(&name), user, "owner")
            .await?;
    }
    let msg = format!("user(s) {} added as owner(s) of crate {name}", users.users.join(", "));
    Ok(Json(json!({ "ok": true, "msg": msg })))
}
