mod search_packages;

pub use search_packages::search_packages;
