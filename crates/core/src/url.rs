//! Percent-encoding sets shared by everything that builds URLs (the client's paths, OCI
//! `Link` headers, the web UI's query strings).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986's unreserved characters (`A–Z a–z 0–9 - _ . ~`) is encoded.
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes `s` but for unreserved characters.
pub fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_only_unreserved() {
        assert_eq!(super::encode("a-b_c.d~e/f g?ü"), "a-b_c.d~e%2Ff%20g%3F%C3%BC");
    }
}
