use crate::error::Json;
use crate::AppState;
use axum::extract::State;
use trove_wire::Categories;

/// `GET /api/v1/categories`: the fixed category list with public package counts.
pub async fn list_categories(State(state): State<AppState>) -> Json<Categories> {
    Json(Categories {
        categories: state.services.search().list_categories(),
    })
}
