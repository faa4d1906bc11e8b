use crate::error::{ApiResult, Json, Path};
use crate::extract::Caller;
use crate::AppState;
use axum::extract::State;
use trove_service::views::PackageView;

/// `GET /api/v1/namespaces/{scope}/packages`: the packages in a user's or organization's
/// namespace that the caller can see.
pub async fn list_namespace_packages(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
) -> ApiResult<Json<Vec<PackageView>>> {
    Ok(Json(
        state.services.packages().list_namespace_packages(&ctx, &scope).await?,
    ))
}
