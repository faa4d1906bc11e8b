mod get_me;
mod register_user;
pub use get_me::get_me;
pub use register_user::register_user;
