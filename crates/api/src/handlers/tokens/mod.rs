mod create_token;
mod list_tokens;
mod revoke_token;
pub use create_token::create_token;
pub use list_tokens::list_tokens;
pub use revoke_token::revoke_token;
