mod list_audit;
pub use list_audit::list_audit;
