mod get_explore;
mod list_categories;

pub use get_explore::get_explore;
pub use list_categories::list_categories;
