//! Regular expressions (ECMA-262, as JSON Schema uses them) of what the server accepts, for
//! the OpenAPI document. The server's checks are the Rust code these describe; the integration
//! test `the_documents_patterns_take_what_the_server_takes` holds the two together.

use crate::limits::CLIENT_NAME_MAX_CHARS;

/// Scope, package, organization and user names (`trove_core::name`): lowercase `[a-z0-9]`
/// with inner `-`, `_`, `.`.
pub const NAME_PATTERN: &str = "^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$";
/// Semver 2.0 (`trove_core::version::parse_version`; numbers of at most 19 digits fit a u64).
pub const SEMVER_PATTERN: &str = r"^(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})(-((0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$";
/// What registration takes for an email address: something before the first `@`, and after
/// it a domain that does not start with `.` and contains one.
pub const EMAIL_PATTERN: &str = r"^[^@]+@[^.][\s\S]*\.";
/// A token's package pattern: `scope/name` of lowercase letters, digits, `-`, `_`, `.` and
/// `*` wildcards, without `..`.
pub const PACKAGE_PATTERN_PATTERN: &str =
    r"^(\.?[a-z0-9_*-]+(\.[a-z0-9_*-]+)*\.?|\.)/(\.?[a-z0-9_*-]+(\.[a-z0-9_*-]+)*\.?|\.)$";
/// A webhook receiver: `http://` or `https://` (any case) and a host.
pub const WEBHOOK_URL_PATTERN: &str = "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]";
/// The whitespace `str::trim` removes, as the body of an ECMA-262 character class (`\t`–`\r`,
/// space, U+0085, and Unicode's other `White_Space` characters).
macro_rules! trimmed_whitespace {
    () => {
        "\\t-\\r \\x85\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}"
    };
}

/// A device login's `client_name`: at most [`CLIENT_NAME_MAX_CHARS`] characters and no control
/// characters (`char::is_control`) once leading and trailing whitespace is trimmed
/// (`str::trim`; the whitespace around may include `\t`, `\n`, … and U+0085, and does not
/// count). As a pattern, not `maxLength`, since the limit applies to the trimmed text.
pub fn client_name_pattern() -> String {
    let ws = trimmed_whitespace!();
    format!("^[{ws}]*[^\\x00-\\x1f\\x7f-\\x9f]{{0,{CLIENT_NAME_MAX_CHARS}}}[{ws}]*$")
}

/// Not blank: the server trims text (`str::trim`) before checking it is non-empty, so some
/// character other than the whitespace it trims (ECMA-262's `\S` is not that: it takes U+0085
/// as text and U+FEFF as whitespace).
pub const NON_BLANK_PATTERN: &str = concat!("[^", trimmed_whitespace!(), "]");

#[cfg(test)]
mod tests {
    /// The patterns the macro builds are the ones written out before it (JSON Schema sees the
    /// backslash escapes, Rust the other characters).
    #[test]
    fn patterns_keep_their_text() {
        let ws = "[\\t-\\r \\x85\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]";
        let max = crate::limits::CLIENT_NAME_MAX_CHARS;
        let expected = format!("^{ws}*[^\\x00-\\x1f\\x7f-\\x9f]{{0,{max}}}{ws}*$");
        assert_eq!(super::client_name_pattern(), expected);
        assert_eq!(super::NON_BLANK_PATTERN, format!("[^{}", &ws[1..]));
    }
}
