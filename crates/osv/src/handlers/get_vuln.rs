use crate::auth::Caller;
use crate::errors::{OsvError, OsvResult};
use crate::OsvState;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::Value;
use trove_service::ErrorKind;

/// `GET /osv/v1/vulns/{id}`: the OSV document (withdrawn ones too, with `withdrawn`). A
/// missing advisory, a report, or one of a package the caller cannot see: 404
/// `{"code": 5, "message": "Bug not found."}`, osv.dev's answer.
pub async fn get_vuln(
    State(state): State<OsvState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> OsvResult<Json<Value>> {
    match state.services.advisories().get_osv(&ctx, &id).await {
        Ok(doc) => Ok(Json(doc)),
        Err(e) if e.kind == ErrorKind::NotFound => Err(OsvError::not_found("Bug not found.")),
        Err(e) => Err(e.into()),
    }
}
