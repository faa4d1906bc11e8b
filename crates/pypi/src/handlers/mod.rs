//! One file per action. Pages of the simple API share [`respond_page`] (negotiated format,
//! `Vary: Accept`, ETag and 304).

pub mod download_file;
pub mod get_project;
pub mod get_project_json;
pub mod list_projects;
pub mod upload_file;

use crate::errors::{PypiError, PypiResult};
use crate::simple::Format;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The format a simple API request asks for (406 when none is acceptable).
pub fn negotiate(headers: &HeaderMap, query: Option<&str>) -> PypiResult<Format> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let param = query.and_then(|q| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == "format")
            .map(|(_, v)| v)
    });
    Format::negotiate(accept, param.as_deref()).ok_or_else(|| {
        PypiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable: ask for application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html or text/html",
        )
    })
}

/// A rendered page of the simple API with its ETag (computed once, also for cached pages).
#[derive(Debug)]
pub struct Page {
    pub format: Format,
    pub body: axum::body::Bytes,
    pub etag: String,
}

impl Page {
    pub fn new(format: Format, body: String) -> Page {
        Page {
            format,
            etag: crate::simple::etag(format, &body),
            body: body.into(),
        }
    }
}

/// A rendered page with its validators: 304 when `If-None-Match` names its ETag.
pub fn respond_page(headers: &HeaderMap, page: &Page, private: bool) -> Response {
    let etag = page.etag.as_str();
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == etag || t.trim().strip_prefix("W/") == Some(etag))
        });
    let mut out = HeaderMap::new();
    out.insert(header::VARY, HeaderValue::from_static("Accept, Authorization"));
    out.insert(header::ETAG, HeaderValue::from_str(etag).expect("hex"));
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if private {
            "private, max-age=0, must-revalidate"
        } else {
            "max-age=0, must-revalidate"
        }),
    );
    if not_modified {
        return (StatusCode::NOT_MODIFIED, out).into_response();
    }
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(page.format.content_type()),
    );
    (StatusCode::OK, out, page.body.clone()).into_response()
}

/// A permanent redirect to `location`.
pub fn redirect(location: &str) -> Response {
    let mut res = StatusCode::MOVED_PERMANENTLY.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}
