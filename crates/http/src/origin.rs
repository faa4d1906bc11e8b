//! Where clients reach this registry, for the absolute URLs front-ends put in answers (token
//! realms, tarball and download links): the configured `server.base_url`, else the request's
//! own origin — its `Host`, with the scheme a proxy names in `X-Forwarded-Proto` or else the
//! scheme of the connection (`https` when the server terminates TLS).

use http::{header, HeaderMap};

#[derive(Debug, Clone)]
pub struct Origin {
    configured: Option<String>,
    scheme: &'static str,
}

impl Origin {
    /// `configured`: `server.base_url`, if set; `tls`: whether the server speaks HTTPS.
    pub fn new(configured: Option<String>, tls: bool) -> Self {
        Origin {
            configured: configured.map(|b| b.trim_end_matches('/').to_string()),
            scheme: if tls { "https" } else { "http" },
        }
    }

    /// The configured base URL, if any.
    pub fn configured(&self) -> Option<&str> {
        self.configured.as_deref()
    }

    /// The base URL (no trailing `/`) for a request with these headers.
    pub fn of(&self, headers: &HeaderMap) -> String {
        if let Some(b) = &self.configured {
            return b.clone();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()) && !h.contains(['"', '/', '\\']))
            .unwrap_or("localhost");
        let proto = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .filter(|p| *p == "https" || *p == "http")
            .unwrap_or(self.scheme);
        format!("{proto}://{host}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn configured_then_host_with_the_connection_scheme() {
        let o = Origin::new(Some("https://reg.example/".into()), false);
        assert_eq!(o.of(&headers(&[("host", "x")])), "https://reg.example");
        let plain = Origin::new(None, false);
        assert_eq!(plain.of(&headers(&[("host", "a:1")])), "http://a:1");
        assert_eq!(
            plain.of(&headers(&[("host", "a"), ("x-forwarded-proto", "https")])),
            "https://a"
        );
        let tls = Origin::new(None, true);
        assert_eq!(tls.of(&headers(&[("host", "a:443")])), "https://a:443");
        assert_eq!(tls.of(&headers(&[("host", "a/b\"")])), "https://localhost");
        assert_eq!(
            tls.of(&headers(&[("x-forwarded-proto", "gopher")])),
            "https://localhost"
        );
    }
}
