//! A version's files: the members of its archive (for PyPI, of its sdist or one of its
//! wheels) as directories and files with sizes, a text file highlighted, a binary one as
//! its size and digest, and any member raw.
//!
//! `/packages/{scope}/{name}/-/files/{version}/{path}` and `…/-/raw/{version}/{path}`.
//! Paths are looked up among the archive's (normalized) members, never on a disk, and
//! any `.`/`..`/empty segment is a 404. When a path is missing and every member lies in one
//! top-level directory (`package/` of npm tarballs, `name-1.0/` of crates and sdists), the
//! same path inside it is used: README links, written relative to that directory, resolve.

use super::{ecosystem_badge, package_url};
use crate::error::{WebError, WebResult};
use crate::fmt::{bytes, encode};
use crate::highlight;
use crate::layout::Page;
use crate::session::Viewer;
use crate::WebState;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use maud::{html, Markup, PreEscaped};
use trove_service::browse::{Member, MemberKind, VersionArchive};

/// Largest file shown in the page.
pub const MAX_VIEW_BYTES: u64 = 512 * 1024;
/// Largest member served raw.
pub const MAX_RAW_BYTES: u64 = 16 << 20;
/// The first bytes looked at to tell a binary file (a NUL among them) from text.
const SNIFF_BYTES: usize = 8000;

/// The file browser's URL of a path (`""`: the archive root) of a version.
pub fn files_url(scope: &str, name: &str, version: &str, path: &str) -> String {
    format!(
        "{}/-/files/{}/{}",
        package_url(scope, name),
        encode(version),
        encode(path)
    )
}

/// The raw contents' URL of a member.
pub fn raw_url(scope: &str, name: &str, version: &str, path: &str) -> String {
    format!(
        "{}/-/raw/{}/{}",
        package_url(scope, name),
        encode(version),
        encode(path)
    )
}

/// The URL prefixes a version's README resolves its relative links with.
pub fn readme_links(scope: &str, name: &str, version: &str, dir: &str) -> crate::markdown::ReadmeLinks {
    crate::markdown::ReadmeLinks {
        files: files_url(scope, name, version, ""),
        raw: raw_url(scope, name, version, ""),
        dir: dir.to_string(),
    }
}

/// `{version}/{path}` split, the path checked: `None` when a segment is empty, `.` or `..`.
pub(crate) fn split_tail(tail: &str) -> Option<(&str, &str)> {
    let (version, path) = tail.split_once('/').unwrap_or((tail, ""));
    let path = path.trim_end_matches('/');
    let clean = path.is_empty() || path.split('/').all(|s| !s.is_empty() && s != "." && s != "..");
    (!version.is_empty() && clean).then_some((version, path))
}

/// The query's `archive` (a PyPI release's file to browse).
fn query_value(raw: Option<&str>, key: &str) -> Option<String> {
    raw.and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v))
        .filter(|v| !v.is_empty())
}

/// The one top-level directory every member lies in, if there is one.
pub(crate) fn single_top(members: &[Member]) -> Option<&str> {
    let mut top: Option<&str> = None;
    for m in members {
        let first = match m.path.split_once('/') {
            Some((first, _)) => first,
            None if m.kind == MemberKind::Dir => m.path.as_str(),
            None => return None,
        };
        match top {
            None => top = Some(first),
            Some(t) if t == first => {}
            Some(_) => return None,
        }
    }
    top
}

/// The path to use when `path` is missing: the same inside the single top-level directory.
fn fallback(members: &[Member], path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    let top = single_top(members)?;
    let inner = format!("{top}/{path}");
    let exists = members
        .iter()
        .any(|m| m.path == inner || m.path.starts_with(&format!("{inner}/")));
    exists.then_some(inner)
}

/// `…/-/files` with `?version=&path=` (the version picker's form): the files page.
pub async fn pick(viewer: &Viewer, scope: &str, name: &str, raw: Option<&str>) -> WebResult {
    let version = query_value(raw, "version").ok_or_else(|| WebError::not_found(viewer.chrome()))?;
    let path = query_value(raw, "path").unwrap_or_default();
    Err(WebError::Redirect(files_url(scope, name, &version, &path)))
}

/// `…/-/files/{version}/{path}`: a directory listing or a file.
pub async fn show(
    state: &WebState,
    viewer: &Viewer,
    scope: &str,
    name: &str,
    tail: &str,
    raw: Option<&str>,
) -> WebResult {
    let (version, path) = split_tail(tail).ok_or_else(|| WebError::not_found(viewer.chrome()))?;
    let archive_name = query_value(raw, "archive");
    let a = state
        .services
        .pages()
        .version_archive(
            &viewer.ctx,
            scope,
            name,
            version,
            archive_name.as_deref(),
            Some((path, MAX_VIEW_BYTES)),
        )
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let archive_q = archive_name
        .as_deref()
        .map(|n| format!("?archive={}", encode(n)))
        .unwrap_or_default();
    let found = path.is_empty()
        || a.members
            .iter()
            .any(|m| m.path == path || m.path.starts_with(&format!("{path}/")));
    if !found {
        return match fallback(&a.members, path) {
            Some(inner) => Err(WebError::Redirect(format!(
                "{}{archive_q}",
                files_url(scope, name, version, &inner)
            ))),
            None => Err(WebError::not_found(viewer.chrome())),
        };
    }
    let pkg = &a.package;
    let member = a.members.iter().find(|m| m.path == path && m.kind != MemberKind::Dir);
    let body = html! {
        (head(&a, path, &archive_q))
        @match member {
            Some(m) => (file_view(&a, m, &archive_q)),
            None => (dir_view(&a, path, &archive_q)),
        }
    };
    let title = if path.is_empty() {
        format!("Files of {} {}", pkg.full_name, a.version.version)
    } else {
        format!("{path} · {} {}", pkg.full_name, a.version.version)
    };
    Ok(Page::new(viewer.chrome(), title, body).into_response())
}

/// Package, version picker, archive picker and breadcrumbs.
fn head(a: &VersionArchive, path: &str, archive_q: &str) -> Markup {
    let pkg = &a.package;
    let (scope, name, version) = (&pkg.scope, &pkg.name, &a.version.version);
    let mut crumbs = Vec::new();
    let mut so_far = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        if !so_far.is_empty() {
            so_far.push('/');
        }
        so_far.push_str(seg);
        crumbs.push((seg.to_string(), so_far.clone()));
    }
    html! {
        header.pkg-header.files-header {
            div.pkg-title-row {
                h1.pkg-title {
                    a.scope href=(package_url(scope, name)) { (pkg.scope) "/" (pkg.name) }
                    span.sep aria-hidden="true" { " " }
                    span.version.version-large { (version) }
                }
                (ecosystem_badge(pkg.ecosystem.as_str()))
                @if a.versions.len() > 1 {
                    form.version-picker method="get" action={ (package_url(scope, name)) "/-/files" } data-autosubmit {
                        label for="files-version" { "Version" }
                        select #files-version name="version" {
                            @for v in &a.versions {
                                option value=(v) selected[v == version] { (v) }
                            }
                        }
                        input type="hidden" name="path" value=(path);
                        button.btn.btn-small type="submit" { "Show" }
                    }
                }
            }
            nav.tabs aria-label="Package" {
                a href={ (package_url(scope, name)) "?version=" (encode(version)) } { "Readme" }
                a.active href=(files_url(scope, name, version, "")) aria-current="page" { "Files" }
                @if let Some(prev) = a.versions.iter().skip_while(|v| *v != version).nth(1) {
                    a href=(super::diff::diff_url(scope, name, prev, version)) { "Changes since " (prev) }
                }
            }
            @if a.files.len() > 1 {
                nav.archive-picker aria-label="Files of this release" {
                    span.section-note { "Browsing " }
                    @for f in &a.files {
                        @if f.filename == a.archive.filename {
                            strong aria-current="true" { (f.filename) }
                        } @else {
                            a href={ (files_url(scope, name, version, "")) "?archive=" (encode(&f.filename)) } { (f.filename) }
                        }
                        " "
                    }
                }
            }
            nav.breadcrumbs aria-label="Path" {
                ol {
                    li { a href={ (files_url(scope, name, version, "")) (archive_q) } { (a.archive.filename) } }
                    @for (i, (seg, full)) in crumbs.iter().enumerate() {
                        @if i + 1 == crumbs.len() {
                            li aria-current="page" { (seg) }
                        } @else {
                            li { a href={ (files_url(scope, name, version, full)) (archive_q) } { (seg) } }
                        }
                    }
                }
            }
        }
    }
}

/// One row of a directory listing.
struct Row {
    name: String,
    path: String,
    dir: bool,
    size: u64,
    link: Option<String>,
}

/// The entries directly inside `dir` (`""`: the root), directories first.
fn children(members: &[Member], dir: &str) -> Vec<Row> {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let mut rows: std::collections::BTreeMap<(bool, String), Row> = Default::default();
    for m in members {
        let Some(rest) = m.path.strip_prefix(&prefix) else {
            continue;
        };
        if rest.is_empty() {
            continue;
        }
        let (first, deeper) = match rest.split_once('/') {
            Some((first, _)) => (first, true),
            None => (rest, false),
        };
        let dir = deeper || m.kind == MemberKind::Dir;
        rows.entry((!dir, first.to_string())).or_insert_with(|| Row {
            name: first.to_string(),
            path: format!("{prefix}{first}"),
            dir,
            size: if dir { 0 } else { m.size },
            link: m.link.clone().filter(|_| !deeper),
        });
    }
    rows.into_values().collect()
}

fn dir_view(a: &VersionArchive, dir: &str, archive_q: &str) -> Markup {
    let pkg = &a.package;
    let rows = children(&a.members, dir);
    let files = a.members.iter().filter(|m| m.kind == MemberKind::File).count();
    let total: u64 = a.members.iter().map(|m| m.size).sum();
    html! {
        section.card aria-labelledby="files-title" {
            div.section-head {
                h2 #files-title { @if dir.is_empty() { "Files" } @else { (dir) "/" } }
                span.section-note {
                    (files) " files, " (bytes(total as i64)) " unpacked · "
                    (a.archive.filename) " " (bytes(a.archive.size))
                }
            }
            @if rows.is_empty() {
                p.empty { "This directory is empty." }
            } @else {
                div.table-wrap {
                    table.table.file-list {
                        thead { tr { th scope="col" { "Name" } th scope="col" class="num" { "Size" } } }
                        tbody {
                            @for r in &rows {
                                tr {
                                    th scope="row" {
                                        a href={ (files_url(&pkg.scope, &pkg.name, &a.version.version, &r.path)) (archive_q) }
                                          class=(if r.dir { "entry entry-dir" } else { "entry entry-file" }) {
                                            (r.name) @if r.dir { "/" }
                                        }
                                        @if let Some(l) = &r.link { span.section-note { " → " (l) } }
                                    }
                                    td.num { @if r.dir { "—" } @else { (bytes(r.size as i64)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What a member's bytes are, for showing them.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Contents<'a> {
    Text(&'a str),
    Binary,
    TooLarge,
}

/// Text when the bytes are UTF-8 with no NUL in their first bytes (the whole of them must
/// have been kept: `cap` bytes at most).
pub(crate) fn contents(m: &Member, cap: u64) -> Contents<'_> {
    if m.size > cap || (m.head.len() as u64) < m.size {
        return Contents::TooLarge;
    }
    if m.head[..m.head.len().min(SNIFF_BYTES)].contains(&0) {
        return Contents::Binary;
    }
    match std::str::from_utf8(&m.head) {
        Ok(t) => Contents::Text(t),
        Err(_) => Contents::Binary,
    }
}

fn file_view(a: &VersionArchive, m: &Member, archive_q: &str) -> Markup {
    let pkg = &a.package;
    let raw = format!(
        "{}{archive_q}",
        raw_url(&pkg.scope, &pkg.name, &a.version.version, &m.path)
    );
    let digest = m.sha256.map(|d| format!("sha256:{}", hex::encode(d)));
    let shown = if m.kind == MemberKind::File {
        contents(m, MAX_VIEW_BYTES)
    } else {
        Contents::Binary
    };
    html! {
        section.card.file-card aria-labelledby="file-title" {
            div.section-head {
                h2 #file-title { (m.path.rsplit('/').next().unwrap_or(&m.path)) }
                span.section-note {
                    (bytes(m.size as i64))
                    @if let Contents::Text(t) = shown { " · " (t.lines().count()) " lines" }
                }
                @if m.kind == MemberKind::File { a.btn.btn-small href=(raw) { "Raw" } }
            }
            @if let Some(d) = &digest {
                div.digest { code.digest-value tabindex="0" data-copy data-copy-label="digest" { (d) } }
            }
            @match (m.kind, shown) {
                (MemberKind::Symlink, _) => p { "Symbolic link to " code { (m.link.as_deref().unwrap_or("")) } },
                (_, Contents::Text(t)) => (code_view(&m.path, t)),
                (_, Contents::Binary) => p.empty.binary-note { "Binary file, " (bytes(m.size as i64)) ". " a href=(raw) download { "Download it" } " to see it." },
                (_, Contents::TooLarge) => p.empty { "This file is too large to show here (" (bytes(m.size as i64)) "). " a href=(raw) { "View it raw" } "." },
            }
        }
    }
}

/// Code with line numbers, highlighted when its language is known.
fn code_view(path: &str, text: &str) -> Markup {
    let lines = text.lines().count().max(1);
    let mut gutter = String::with_capacity(lines * 4);
    for n in 1..=lines {
        gutter.push_str(&n.to_string());
        gutter.push('\n');
    }
    let code = highlight::code_html(text, highlight::syntax_for_file(path, text));
    html! {
        div.code-view {
            pre.gutter aria-hidden="true" { (gutter) }
            pre.code tabindex="0" aria-label={ "Contents of " (path) } { code { (PreEscaped(code)) } }
        }
    }
}

/// `…/-/raw/{version}/{path}`: a member's bytes. Images as images, text as plain text,
/// anything else as a download; always sandboxed, never sniffed.
pub async fn raw(state: &WebState, viewer: &Viewer, scope: &str, name: &str, tail: &str, q: Option<&str>) -> WebResult {
    let (version, path) = split_tail(tail).ok_or_else(|| WebError::not_found(viewer.chrome()))?;
    if path.is_empty() {
        return Err(WebError::not_found(viewer.chrome()));
    }
    let archive_name = query_value(q, "archive");
    let a = state
        .services
        .pages()
        .version_archive(
            &viewer.ctx,
            scope,
            name,
            version,
            archive_name.as_deref(),
            Some((path, MAX_RAW_BYTES)),
        )
        .await
        .map_err(|e| WebError::from_service(e, viewer.chrome()))?;
    let Some(m) = a.members.iter().find(|m| m.path == path && m.kind == MemberKind::File) else {
        let archive_q = archive_name
            .map(|n| format!("?archive={}", encode(&n)))
            .unwrap_or_default();
        return match fallback(&a.members, path) {
            Some(inner) => Err(WebError::Redirect(format!(
                "{}{archive_q}",
                raw_url(scope, name, version, &inner)
            ))),
            None => Err(WebError::not_found(viewer.chrome())),
        };
    };
    if m.size > MAX_RAW_BYTES {
        return Err(WebError::page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too large",
            format!(
                "This file is larger than {} MiB: download the archive to get it.",
                MAX_RAW_BYTES >> 20
            ),
            viewer.chrome(),
        ));
    }
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let image = match ext.as_str() {
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        "avif" => Some("image/avif"),
        "ico" => Some("image/x-icon"),
        "svg" => Some("image/svg+xml"),
        _ => None,
    };
    let (content_type, disposition) = match (image, contents(m, MAX_RAW_BYTES)) {
        (Some(t), _) => (t, "inline"),
        (None, Contents::Text(_)) => ("text/plain; charset=utf-8", "inline"),
        _ => ("application/octet-stream", "attachment"),
    };
    let mut res = m.head.clone().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let file = path.rsplit('/').next().unwrap_or(path);
    let file: String = file
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    // A sandboxed document with no script: an SVG or HTML file opened here can do nothing.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"),
    );
    let public = a.package.visibility == "public" && viewer.user().is_none();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if public {
            "public, max-age=300"
        } else {
            "private, no-store"
        }),
    );
    h.insert(header::VARY, HeaderValue::from_static("Cookie"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(path: &str, kind: MemberKind, head: &[u8]) -> Member {
        Member {
            path: path.into(),
            kind,
            size: head.len() as u64,
            sha256: None,
            head: head.to_vec(),
            link: None,
        }
    }

    #[test]
    fn tails_refuse_dot_segments() {
        assert_eq!(split_tail("1.0.0"), Some(("1.0.0", "")));
        assert_eq!(split_tail("1.0.0/src/lib.rs"), Some(("1.0.0", "src/lib.rs")));
        assert_eq!(split_tail("1.0.0/src/"), Some(("1.0.0", "src")));
        assert_eq!(split_tail("1.0.0/../etc/passwd"), None);
        assert_eq!(split_tail("1.0.0/a/./b"), None);
        assert_eq!(split_tail("1.0.0/a//b"), None);
        assert_eq!(split_tail("/x"), None);
    }

    #[test]
    fn listings_put_directories_first_and_find_the_top_directory() {
        let ms = vec![
            member("package/b.js", MemberKind::File, b"b"),
            member("package/lib/a.js", MemberKind::File, b"a"),
            member("package/README.md", MemberKind::File, b"# x"),
        ];
        let rows = children(&ms, "package");
        let names: Vec<(&str, bool)> = rows.iter().map(|r| (r.name.as_str(), r.dir)).collect();
        assert_eq!(names, [("lib", true), ("README.md", false), ("b.js", false)]);
        assert_eq!(single_top(&ms), Some("package"));
        assert_eq!(fallback(&ms, "lib/a.js").as_deref(), Some("package/lib/a.js"));
        assert_eq!(fallback(&ms, "nope"), None);
        let flat = vec![member("trove.toml", MemberKind::File, b"")];
        assert_eq!(single_top(&flat), None);
    }

    #[test]
    fn binary_text_and_large_files_are_told_apart() {
        assert_eq!(
            contents(&member("a", MemberKind::File, b"hi\n"), 10),
            Contents::Text("hi\n")
        );
        assert_eq!(
            contents(&member("a", MemberKind::File, b"\0\x01"), 10),
            Contents::Binary
        );
        assert_eq!(
            contents(&member("a", MemberKind::File, &[0xff, 0xfe]), 10),
            Contents::Binary
        );
        assert_eq!(
            contents(&member("a", MemberKind::File, b"0123456789ab"), 10),
            Contents::TooLarge
        );
    }
}
