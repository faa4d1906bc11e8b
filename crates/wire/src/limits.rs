//! Limits the server enforces on request bodies, shared by the service's checks and the
//! OpenAPI document.

/// Scope, package, organization and user names: at most this many characters.
pub const NAME_MAX_LEN: usize = 64;
/// An email address: at most this many bytes.
pub const EMAIL_MAX_LEN: usize = 254;
/// A password: at least this many characters.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// A password: at most this many bytes.
pub const PASSWORD_MAX_LEN: usize = 1024;
/// A token's name: at most this many bytes (after trimming).
pub const TOKEN_NAME_MAX_LEN: usize = 100;
/// Longest token lifetime: 10 years, in seconds.
pub const MAX_TOKEN_LIFETIME_S: i64 = 10 * 365 * 86_400;
/// A device login's `client_name`: at most this many characters (after trimming).
pub const CLIENT_NAME_MAX_CHARS: usize = 100;
/// An organization's description: at most this many bytes.
pub const ORG_DESCRIPTION_MAX_LEN: usize = 1000;
/// A deprecation message: at most this many bytes (after trimming).
pub const DEPRECATION_MAX_LEN: usize = 1000;
/// A webhook receiver URL: at most this many bytes.
pub const WEBHOOK_URL_MAX_LEN: usize = 2000;
/// `GET /search`: the highest page number.
pub const SEARCH_MAX_PAGE: usize = 10_000;
/// `GET /search`: the query, at most this many characters.
pub const SEARCH_QUERY_MAX_LEN: usize = 256;
