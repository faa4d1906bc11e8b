mod create_session;
mod delete_session;
pub use create_session::create_session;
pub use delete_session::delete_session;
