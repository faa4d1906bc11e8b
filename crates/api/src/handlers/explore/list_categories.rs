use crate::error::Json;
use crate::AppState;
use axum::extract::State;

/// `GET /api/v1/categories`: the fixed category list with public package counts.
pub async fn list_categories(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "categories": state.services.search().list_categories() }))
}
