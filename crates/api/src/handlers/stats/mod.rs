mod get_global_stats;
mod get_package_stats;
mod get_version_stats;

pub use get_global_stats::get_global_stats;
pub use get_package_stats::get_package_stats;
pub use get_version_stats::get_version_stats;
