//! The error body of every API answer that is not a success.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error: the status says the class, `code` the exact reason
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Error {
    #[schema(inline)]
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable, e.g. `not_found`
    pub code: String,
    /// Human-readable
    pub message: String,
}
