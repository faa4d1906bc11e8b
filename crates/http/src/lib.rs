//! HTTP rules shared by every protocol front-end (native API, OCI, and the npm, Cargo and
//! PyPI front-ends to come): how a stored, content-addressed body is served to a `GET` or
//! `HEAD` with validators and byte ranges, and (in [`edge`]) what a front-end declares to the
//! stack in front of it. Each front-end keeps its own error envelope.

use http::header::{self, HeaderMap, HeaderValue};
use http::StatusCode;
use std::ops::Range;
use trove_core::range::{parse_range, RangeSpec};

/// How to answer a request for a stored body of `size` bytes whose entity tag is `etag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serve {
    /// `304 Not Modified`: `If-None-Match` names the body's ETag (or `*`).
    NotModified,
    /// `200` with the whole body.
    Full,
    /// `206` with these bytes (end exclusive).
    Partial(Range<u64>),
    /// `416`: the `Range` selects no byte of the body.
    Unsatisfiable,
}

impl Serve {
    /// Decides from the request headers: `If-None-Match` first (RFC 9110 §13.2.2), then a
    /// single `bytes=` range, honoured only while `If-Range` (if sent) still names the ETag;
    /// several ranges or other units get the whole body.
    pub fn evaluate(request: &HeaderMap, etag: &str, size: u64) -> Serve {
        if let Some(inm) = request.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
            if inm.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t == etag || t.strip_prefix("W/") == Some(etag)
            }) {
                return Serve::NotModified;
            }
        }
        let range = request.get(header::RANGE).and_then(|v| v.to_str().ok()).filter(|_| {
            request
                .get(header::IF_RANGE)
                .is_none_or(|v| v.as_bytes() == etag.as_bytes())
        });
        match range.map(|r| parse_range(r, size)) {
            None | Some(RangeSpec::Full) => Serve::Full,
            Some(RangeSpec::Part(r)) => Serve::Partial(r),
            Some(RangeSpec::Unsatisfiable) => Serve::Unsatisfiable,
        }
    }

    /// The bytes to send, for `Full` and `Partial`.
    pub fn bytes(&self, size: u64) -> Option<Range<u64>> {
        match self {
            Serve::Full => Some(0..size),
            Serve::Partial(r) => Some(r.clone()),
            Serve::NotModified | Serve::Unsatisfiable => None,
        }
    }

    /// The range to ask storage for: `None` for the whole body.
    pub fn storage_range(&self) -> Option<Range<u64>> {
        match self {
            Serve::Partial(r) => Some(r.clone()),
            _ => None,
        }
    }

    /// The status and the headers that go with it: `ETag` and `Accept-Ranges` always;
    /// `Content-Length` and (206) `Content-Range` for the bytes served; `Content-Range:
    /// bytes */size` for 416. The front-end adds its own (type, caching, digest headers) and,
    /// for 416, its error body.
    pub fn write_headers(&self, out: &mut HeaderMap, etag: &str, size: u64) -> StatusCode {
        if let Ok(v) = HeaderValue::from_str(etag) {
            out.insert(header::ETAG, v);
        }
        out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        let status = match self {
            Serve::NotModified => return StatusCode::NOT_MODIFIED,
            Serve::Unsatisfiable => {
                out.insert(header::CONTENT_RANGE, value(format!("bytes */{size}")));
                return StatusCode::RANGE_NOT_SATISFIABLE;
            }
            Serve::Full => StatusCode::OK,
            Serve::Partial(r) => {
                out.insert(
                    header::CONTENT_RANGE,
                    value(format!("bytes {}-{}/{size}", r.start, r.end.saturating_sub(1))),
                );
                StatusCode::PARTIAL_CONTENT
            }
        };
        let served = self.bytes(size).unwrap_or(0..0);
        out.insert(header::CONTENT_LENGTH, HeaderValue::from(served.end - served.start));
        status
    }
}

fn value(s: String) -> HeaderValue {
    HeaderValue::from_str(&s).expect("ASCII header value")
}

/// `Cache-Control` of an immutable, content-addressed body: shared caches may keep public
/// ones, private ones stay in the client's own cache.
pub fn immutable_cache_control(private: bool) -> HeaderValue {
    HeaderValue::from_static(if private {
        "private, max-age=31536000, immutable"
    } else {
        "public, max-age=31536000, immutable"
    })
}

/// Headers of a `307 Temporary Redirect` of a download to a short-lived presigned URL of the
/// stored bytes: `Location`, and `Cache-Control: no-store` (the URL expires; the next request
/// gets a fresh one). `None` when the URL is not a valid header value.
pub fn redirect_headers(url: &str) -> Option<HeaderMap> {
    let mut h = HeaderMap::new();
    h.insert(http::header::LOCATION, HeaderValue::from_str(url).ok()?);
    h.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    const ETAG: &str = "\"sha256:abc\"";

    #[test]
    fn validators_and_ranges() {
        assert_eq!(Serve::evaluate(&req(&[]), ETAG, 10), Serve::Full);
        assert_eq!(
            Serve::evaluate(&req(&[("if-none-match", ETAG)]), ETAG, 10),
            Serve::NotModified
        );
        assert_eq!(
            Serve::evaluate(&req(&[("if-none-match", "\"x\", W/\"sha256:abc\"")]), ETAG, 10),
            Serve::NotModified
        );
        assert_eq!(
            Serve::evaluate(&req(&[("if-none-match", "*")]), ETAG, 10),
            Serve::NotModified
        );
        assert_eq!(
            Serve::evaluate(&req(&[("if-none-match", "\"x\"")]), ETAG, 10),
            Serve::Full
        );
        assert_eq!(
            Serve::evaluate(&req(&[("range", "bytes=2-4")]), ETAG, 10),
            Serve::Partial(2..5)
        );
        assert_eq!(
            Serve::evaluate(&req(&[("range", "bytes=2-4"), ("if-range", "\"old\"")]), ETAG, 10),
            Serve::Full
        );
        assert_eq!(
            Serve::evaluate(&req(&[("range", "bytes=2-4"), ("if-range", ETAG)]), ETAG, 10),
            Serve::Partial(2..5)
        );
        assert_eq!(
            Serve::evaluate(&req(&[("range", "bytes=10-")]), ETAG, 10),
            Serve::Unsatisfiable
        );
        // If-None-Match wins over Range.
        assert_eq!(
            Serve::evaluate(&req(&[("range", "bytes=10-"), ("if-none-match", ETAG)]), ETAG, 10),
            Serve::NotModified
        );
    }

    #[test]
    fn headers_per_answer() {
        let mut h = HeaderMap::new();
        assert_eq!(
            Serve::Partial(2..5).write_headers(&mut h, ETAG, 10),
            StatusCode::PARTIAL_CONTENT
        );
        assert_eq!(h["content-range"], "bytes 2-4/10");
        assert_eq!(h["content-length"], "3");
        assert_eq!(h["etag"], ETAG);
        let mut h = HeaderMap::new();
        assert_eq!(Serve::Full.write_headers(&mut h, ETAG, 10), StatusCode::OK);
        assert_eq!(h["content-length"], "10");
        assert!(h.get("content-range").is_none());
        let mut h = HeaderMap::new();
        assert_eq!(
            Serve::Unsatisfiable.write_headers(&mut h, ETAG, 10),
            StatusCode::RANGE_NOT_SATISFIABLE
        );
        assert_eq!(h["content-range"], "bytes */10");
        let mut h = HeaderMap::new();
        assert_eq!(
            Serve::NotModified.write_headers(&mut h, ETAG, 10),
            StatusCode::NOT_MODIFIED
        );
        assert!(h.get("content-length").is_none());
    }
}
pub mod edge;
pub mod origin;
