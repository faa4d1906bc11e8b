mod create_org;
mod get_org;
mod remove_member;
mod set_member;
pub use create_org::create_org;
pub use get_org::get_org;
pub use remove_member::remove_member;
pub use set_member::set_member;
