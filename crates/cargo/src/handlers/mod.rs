//! One file per action, named verb_noun.

pub mod add_owners;
pub mod download_crate;
pub mod get_config;
pub mod get_index_file;
pub mod get_registry;
pub mod list_owners;
pub mod publish_crate;
pub mod remove_owners;
pub mod search_crates;
pub mod unyank_crate;
pub mod update_registry;
pub mod yank_crate;

use crate::errors::CargoError;

/// Anything else under `/cargo`.
pub async fn no_route() -> CargoError {
    CargoError::not_found("no such Cargo registry endpoint")
}
