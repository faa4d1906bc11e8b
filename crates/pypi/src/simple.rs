//! The simple repository API's wire formats: HTML (PEP 503, with PEP 592 yanks and PEP
//! 658/714 metadata attributes) and JSON (PEP 691 with PEP 700's `versions`, `size` and
//! `upload-time`), chosen by content negotiation; and the ETag of a page.

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

pub const JSON_V1: &str = "application/vnd.pypi.simple.v1+json";
pub const HTML_V1: &str = "application/vnd.pypi.simple.v1+html";
pub const TEXT_HTML: &str = "text/html";
/// PEP 700.
pub const API_VERSION: &str = "1.1";

/// The representation a client gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    /// HTML, labelled with the content type the client asked for.
    Html(&'static str),
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => JSON_V1,
            Format::Html(TEXT_HTML) => "text/html; charset=utf-8",
            Format::Html(t) => t,
        }
    }

    fn of_media(media: &str) -> Option<Format> {
        Some(match media {
            "application/vnd.pypi.simple.v1+json" | "application/vnd.pypi.simple.latest+json" => Format::Json,
            "application/vnd.pypi.simple.v1+html" | "application/vnd.pypi.simple.latest+html" => Format::Html(HTML_V1),
            "text/html" | "text/*" | "*/*" => Format::Html(TEXT_HTML),
            _ => return None,
        })
    }

    /// PEP 691 negotiation: the `format` query parameter if given, else the `Accept` entry
    /// with the highest quality (the first of equals); no `Accept` is HTML. `None`: nothing
    /// acceptable (406).
    pub fn negotiate(accept: Option<&str>, format_param: Option<&str>) -> Option<Format> {
        if let Some(f) = format_param {
            return Format::of_media(f.trim());
        }
        let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
            return Some(Format::Html(TEXT_HTML));
        };
        let mut best: Option<(f32, Format)> = None;
        for entry in accept.split(',') {
            let mut parts = entry.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(f) = Format::of_media(&media).filter(|_| q > 0.0) {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, f));
                }
            }
        }
        best.map(|(_, f)| f)
    }
}

/// One file on a project page.
#[derive(Debug, Clone, PartialEq)]
pub struct FileLink {
    pub filename: String,
    /// Relative to the project page.
    pub url: String,
    pub sha256: String,
    pub requires_python: Option<String>,
    /// The sha256 of the PEP 658 metadata file, when it is served.
    pub metadata_sha256: Option<String>,
    /// `None`: not yanked; `Some(reason)` (possibly empty).
    pub yanked: Option<String>,
    pub size: u64,
    /// ISO 8601 in UTC.
    pub upload_time: String,
}

/// A project page: the normalized name, its versions (oldest first) and files.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectPage {
    pub name: String,
    pub versions: Vec<String>,
    pub files: Vec<FileLink>,
}

/// The HTML-escaped text (for text and attribute values).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const HTML_HEAD: &str =
    "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n";

/// The project list (`/simple/`).
pub fn render_index(format: Format, projects: &[String]) -> String {
    match format {
        Format::Json => json!({
            "meta": { "api-version": API_VERSION },
            "projects": projects.iter().map(|p| json!({ "name": p })).collect::<Vec<Value>>(),
        })
        .to_string(),
        Format::Html(_) => {
            let mut s = format!("{HTML_HEAD}    <title>Simple index</title>\n  </head>\n  <body>\n");
            for p in projects {
                let p = escape(p);
                s.push_str(&format!("    <a href=\"{p}/\">{p}</a><br/>\n"));
            }
            s.push_str("  </body>\n</html>\n");
            s
        }
    }
}

/// A project page (`/simple/{project}/`).
pub fn render_project(format: Format, page: &ProjectPage) -> String {
    match format {
        Format::Json => project_json(page).to_string(),
        Format::Html(_) => project_html(page),
    }
}

fn project_json(page: &ProjectPage) -> Value {
    let files: Vec<Value> = page
        .files
        .iter()
        .map(|f| {
            let metadata = match &f.metadata_sha256 {
                Some(h) => json!({ "sha256": h }),
                None => json!(false),
            };
            let mut v = json!({
                "filename": f.filename,
                "url": f.url,
                "hashes": { "sha256": f.sha256 },
                "core-metadata": metadata,
                "dist-info-metadata": metadata,
                "yanked": match &f.yanked { None => json!(false), Some(r) if r.is_empty() => json!(true), Some(r) => json!(r) },
                "size": f.size,
                "upload-time": f.upload_time,
            });
            if let Some(rp) = &f.requires_python {
                v["requires-python"] = json!(rp);
            }
            v
        })
        .collect();
    json!({
        "meta": { "api-version": API_VERSION },
        "name": page.name,
        "versions": page.versions,
        "files": files,
    })
}

fn project_html(page: &ProjectPage) -> String {
    let name = escape(&page.name);
    let mut s =
        format!("{HTML_HEAD}    <title>Links for {name}</title>\n  </head>\n  <body>\n    <h1>Links for {name}</h1>\n");
    for f in &page.files {
        let mut attrs = format!("href=\"{}#sha256={}\"", escape(&f.url), escape(&f.sha256));
        if let Some(rp) = &f.requires_python {
            attrs.push_str(&format!(" data-requires-python=\"{}\"", escape(rp)));
        }
        if let Some(h) = &f.metadata_sha256 {
            let h = escape(h);
            attrs.push_str(&format!(
                " data-core-metadata=\"sha256={h}\" data-dist-info-metadata=\"sha256={h}\""
            ));
        }
        if let Some(reason) = &f.yanked {
            attrs.push_str(&format!(" data-yanked=\"{}\"", escape(reason)));
        }
        s.push_str(&format!("    <a {attrs}>{}</a><br/>\n", escape(&f.filename)));
    }
    s.push_str("  </body>\n</html>\n");
    s
}

/// A strong ETag of a rendered page (its content type included, as the body differs by it).
pub fn etag(format: Format, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(format.content_type().as_bytes());
    h.update([0]);
    h.update(body.as_bytes());
    format!("\"{}\"", &hex::encode(h.finalize())[..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        let pip = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";
        assert_eq!(Format::negotiate(Some(pip), None), Some(Format::Json));
        assert_eq!(Format::negotiate(None, None), Some(Format::Html(TEXT_HTML)));
        assert_eq!(Format::negotiate(Some("*/*"), None), Some(Format::Html(TEXT_HTML)));
        assert_eq!(
            Format::negotiate(Some("text/html;q=0.5, application/vnd.pypi.simple.v1+html"), None),
            Some(Format::Html(HTML_V1))
        );
        assert_eq!(Format::negotiate(Some("application/json"), None), None);
        assert_eq!(
            Format::negotiate(Some("application/vnd.pypi.simple.v1+json;q=0"), None),
            None
        );
        assert_eq!(Format::negotiate(Some("text/html"), Some(JSON_V1)), Some(Format::Json));
    }

    fn page() -> ProjectPage {
        ProjectPage {
            name: "alpha-pkg".into(),
            versions: vec!["1.0".into()],
            files: vec![FileLink {
                filename: "alpha_pkg-1.0-py3-none-any.whl".into(),
                url: "../../files/alpha-pkg/alpha_pkg-1.0-py3-none-any.whl".into(),
                sha256: "ab".into(),
                requires_python: Some(">=3.8".into()),
                metadata_sha256: Some("cd".into()),
                yanked: Some("broken <b>".into()),
                size: 10,
                upload_time: "2026-01-01T00:00:00.000000Z".into(),
            }],
        }
    }

    #[test]
    fn renders_both_formats() {
        let html = render_project(Format::Html(TEXT_HTML), &page());
        assert!(html.contains(
            "<a href=\"../../files/alpha-pkg/alpha_pkg-1.0-py3-none-any.whl#sha256=ab\" data-requires-python=\"&gt;=3.8\" \
             data-core-metadata=\"sha256=cd\" data-dist-info-metadata=\"sha256=cd\" data-yanked=\"broken &lt;b&gt;\">"
        ), "{html}");
        let v: Value = serde_json::from_str(&render_project(Format::Json, &page())).unwrap();
        assert_eq!(v["meta"]["api-version"], "1.1");
        assert_eq!(v["versions"], json!(["1.0"]));
        let f = &v["files"][0];
        assert_eq!(f["hashes"]["sha256"], "ab");
        assert_eq!(f["core-metadata"], json!({"sha256": "cd"}));
        assert_eq!(f["yanked"], "broken <b>");
        assert_eq!(f["requires-python"], ">=3.8");
        assert_eq!(f["size"], 10);
        let index = render_index(Format::Html(TEXT_HTML), &["a-b".into()]);
        assert!(index.contains("<a href=\"a-b/\">a-b</a>"));
        assert_ne!(etag(Format::Json, "x"), etag(Format::Html(TEXT_HTML), "x"));
    }
}
