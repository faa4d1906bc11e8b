//! What changed between two versions: `/packages/{scope}/{name}/-/diff/{a}...{b}` lists the
//! files added, removed and changed between the two versions' archives (compared by sha256,
//! each archive's single top-level directory set aside: `name-1.0/` and `name-1.1/` of crates
//! and sdists compare as one), with a unified diff of each text file. Sizes are capped: per
//! file, per archive, and in lines shown.

use super::files::{contents, files_url, single_top, Contents};
use super::package_url;
use crate::error::{WebError, WebResult};
use crate::fmt::{bytes, encode};
use crate::layout::Page;
use crate::session::Viewer;
use crate::WebState;
use axum::response::IntoResponse;
use maud::{html, Markup};
use similar::{ChangeTag, TextDiff};
use std::collections::BTreeMap;
use std::time::Duration;
use trove_service::browse::{Member, MemberKind, VersionArchive};

/// Largest file diffed (bytes).
pub const MAX_DIFF_FILE: u64 = 256 * 1024;
/// Diff lines shown on one page, over all files.
pub const MAX_DIFF_LINES: usize = 20_000;
/// Time a single file's diff may take.
const DIFF_TIMEOUT: Duration = Duration::from_millis(500);

pub fn diff_url(scope: &str, name: &str, from: &str, to: &str) -> String {
    format!("{}/-/diff/{}...{}", package_url(scope, name), encode(from), encode(to))
}

/// How a file differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Added,
    Removed,
    Changed,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
        }
    }
}

/// One line of a unified diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    Hunk(String),
    Same(String),
    Add(String),
    Del(String),
}

/// A file that differs.
#[derive(Debug)]
pub(crate) struct FileDiff {
    pub path: String,
    pub status: Status,
    pub old_size: u64,
    pub new_size: u64,
    /// The unified diff, when both sides are text small enough.
    pub lines: Option<Vec<Line>>,
    /// Why there is no diff text.
    pub note: Option<&'static str>,
    pub added: usize,
    pub removed: usize,
}

/// The members by path with the single top-level directory set aside (files and links).
fn by_path(members: &[Member]) -> BTreeMap<&str, &Member> {
    let top = single_top(members);
    members
        .iter()
        .filter(|m| m.kind != MemberKind::Dir)
        .map(|m| {
            let p = match top {
                Some(t) => m
                    .path
                    .strip_prefix(t)
                    .and_then(|r| r.strip_prefix('/'))
                    .unwrap_or(&m.path),
                None => m.path.as_str(),
            };
            (p, m)
        })
        .collect()
}

/// The files that differ between `old` and `new`, in path order; `budget` is the number of
/// diff lines still allowed.
pub(crate) fn compare(old: &[Member], new: &[Member], budget: &mut usize) -> (Vec<FileDiff>, usize) {
    let (a, b) = (by_path(old), by_path(new));
    let mut paths: Vec<&str> = a.keys().chain(b.keys()).copied().collect();
    paths.sort_unstable();
    paths.dedup();
    let mut out = Vec::new();
    let mut unchanged = 0;
    for p in paths {
        let (o, n) = (a.get(p).copied(), b.get(p).copied());
        let status = match (o, n) {
            (Some(o), Some(n)) if o.sha256 == n.sha256 && o.kind == n.kind && o.link == n.link => {
                unchanged += 1;
                continue;
            }
            (Some(_), Some(_)) => Status::Changed,
            (None, Some(_)) => Status::Added,
            (Some(_), None) => Status::Removed,
            (None, None) => continue,
        };
        let text = |m: Option<&Member>| -> Result<String, &'static str> {
            match m {
                None => Ok(String::new()),
                Some(m) if m.kind == MemberKind::Symlink => Ok(format!("→ {}\n", m.link.as_deref().unwrap_or(""))),
                Some(m) => match contents(m, MAX_DIFF_FILE) {
                    Contents::Text(t) => Ok(t.to_string()),
                    Contents::Binary => Err("Binary file"),
                    Contents::TooLarge => Err("Too large to diff"),
                },
            }
        };
        let mut fd = FileDiff {
            path: p.to_string(),
            status,
            old_size: o.map_or(0, |m| m.size),
            new_size: n.map_or(0, |m| m.size),
            lines: None,
            note: None,
            added: 0,
            removed: 0,
        };
        match (text(o), text(n)) {
            (Ok(_), Ok(_)) if *budget == 0 => fd.note = Some("Diff not shown: this comparison is too long"),
            (Ok(x), Ok(y)) => {
                let lines = unified(&x, &y);
                fd.added = lines.iter().filter(|l| matches!(l, Line::Add(_))).count();
                fd.removed = lines.iter().filter(|l| matches!(l, Line::Del(_))).count();
                if lines.len() > *budget {
                    fd.note = Some("Diff not shown: this comparison is too long");
                    *budget = 0;
                } else {
                    *budget -= lines.len();
                    fd.lines = Some(lines);
                }
            }
            (Err(e), _) | (_, Err(e)) => fd.note = Some(e),
        }
        out.push(fd);
    }
    (out, unchanged)
}

/// A unified diff with three lines of context.
pub(crate) fn unified(old: &str, new: &str) -> Vec<Line> {
    let diff = TextDiff::configure().timeout(DIFF_TIMEOUT).diff_lines(old, new);
    let mut out = Vec::new();
    for group in diff.grouped_ops(3) {
        out.push(Line::Hunk(similar::udiff::UnifiedHunkHeader::new(&group).to_string()));
        for op in &group {
            for change in diff.iter_changes(op) {
                let text = change.value().trim_end_matches(['\n', '\r']).to_string();
                out.push(match change.tag() {
                    ChangeTag::Equal => Line::Same(text),
                    ChangeTag::Insert => Line::Add(text),
                    ChangeTag::Delete => Line::Del(text),
                });
            }
        }
    }
    out
}

/// `…/-/diff?from=&to=` (the form): the diff page.
pub async fn pick(viewer: &Viewer, scope: &str, name: &str, raw: Option<&str>) -> WebResult {
    let pairs: Vec<(String, String)> = raw.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, v)| key == k && !v.is_empty())
            .map(|(_, v)| v.clone())
    };
    match (get("from"), get("to")) {
        (Some(a), Some(b)) => Err(WebError::Redirect(diff_url(scope, name, &a, &b))),
        _ => Err(WebError::not_found(viewer.chrome())),
    }
}

/// `…/-/diff/{a}...{b}`.
pub async fn show(state: &WebState, viewer: &Viewer, scope: &str, name: &str, tail: &str) -> WebResult {
    let (from, to) = tail
        .split_once("...")
        .filter(|(a, b)| !a.is_empty() && !b.is_empty() && !a.contains('/') && !b.contains('/'))
        .ok_or_else(|| WebError::not_found(viewer.chrome()))?;
    let pages = state.services.pages();
    let err = |e| WebError::from_service(e, viewer.chrome());
    let old = pages
        .version_archive(&viewer.ctx, scope, name, from, None, None)
        .await
        .map_err(err)?;
    let new = pages
        .version_archive(&viewer.ctx, scope, name, to, None, None)
        .await
        .map_err(err)?;
    let mut budget = MAX_DIFF_LINES;
    let (files, unchanged) = compare(&old.members, &new.members, &mut budget);
    let title = format!("{} {from}...{to}", new.package.full_name);
    let body = render(&old, &new, &files, unchanged);
    Ok(Page::new(viewer.chrome(), title, body).into_response())
}

fn render(old: &VersionArchive, new: &VersionArchive, files: &[FileDiff], unchanged: usize) -> Markup {
    let pkg = &new.package;
    let (from, to) = (&old.version.version, &new.version.version);
    let count = |s: Status| files.iter().filter(|f| f.status == s).count();
    let (added, removed) = files.iter().fold((0, 0), |(a, r), f| (a + f.added, r + f.removed));
    html! {
        header.pkg-header {
            div.pkg-title-row {
                h1.pkg-title {
                    a.scope href=(package_url(&pkg.scope, &pkg.name)) { (pkg.scope) "/" (pkg.name) }
                    span.sep aria-hidden="true" { " " }
                    span { "Changes from " (from) " to " (to) }
                }
            }
            form.diff-picker method="get" action={ (package_url(&pkg.scope, &pkg.name)) "/-/diff" } {
                label for="diff-from" { "From" }
                select #diff-from name="from" {
                    @for v in &new.versions { option value=(v) selected[v == from] { (v) } }
                }
                label for="diff-to" { "to" }
                select #diff-to name="to" {
                    @for v in &new.versions { option value=(v) selected[v == to] { (v) } }
                }
                button.btn.btn-small type="submit" { "Compare" }
            }
            p.lede.diff-summary {
                @if files.is_empty() {
                    "No file differs between " (from) " and " (to) "."
                } @else {
                    (files.len()) @if files.len() == 1 { " file differs" } @else { " files differ" }
                    ": " (count(Status::Changed)) " changed, " (count(Status::Added)) " added, "
                    (count(Status::Removed)) " removed"
                    " · " span.diff-plus { "+" (added) } " " span.diff-minus { "−" (removed) }
                    " · " (unchanged) " unchanged"
                }
            }
        }
        @if !files.is_empty() {
            nav.card.diff-index aria-label="Files that differ" {
                ul {
                    @for (i, f) in files.iter().enumerate() {
                        li {
                            span class={ "badge diff-" (f.status.label()) } { (f.status.label()) }
                            " " a href={ "#file-" (i) } { (f.path) }
                            @if f.added + f.removed > 0 {
                                " " span.diff-plus { "+" (f.added) } " " span.diff-minus { "−" (f.removed) }
                            }
                        }
                    }
                }
            }
        }
        @for (i, f) in files.iter().enumerate() {
            section.card.file-diff id={ "file-" (i) } aria-label=(f.path) {
                div.section-head {
                    h2 {
                        span class={ "badge diff-" (f.status.label()) } { (f.status.label()) }
                        " " (f.path)
                    }
                    span.section-note {
                        @match f.status {
                            Status::Added => (bytes(f.new_size as i64)),
                            Status::Removed => (bytes(f.old_size as i64)),
                            Status::Changed => { (bytes(f.old_size as i64)) " → " (bytes(f.new_size as i64)) },
                        }
                    }
                    @if f.status != Status::Removed {
                        a.btn.btn-small href=(file_link(new, &f.path)) { "View" }
                    }
                }
                @if let Some(note) = f.note { p.empty { (note) "." } }
                @if let Some(lines) = &f.lines {
                    pre.diff tabindex="0" aria-label={ "Diff of " (f.path) } {
                        @for l in lines {
                            @match l {
                                Line::Hunk(h) => span.dl.dl-hunk { (h) "\n" },
                                Line::Same(t) => span.dl { " " (t) "\n" },
                                Line::Add(t) => span.dl.dl-add { "+" (t) "\n" },
                                Line::Del(t) => span.dl.dl-del { "-" (t) "\n" },
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The file browser's URL of a compared path in the new version (its top directory back).
fn file_link(new: &VersionArchive, path: &str) -> String {
    let full = match single_top(&new.members) {
        Some(t) => format!("{t}/{path}"),
        None => path.to_string(),
    };
    files_url(&new.package.scope, &new.package.name, &new.version.version, &full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn file(path: &str, text: &str) -> Member {
        Member {
            path: path.into(),
            kind: MemberKind::File,
            size: text.len() as u64,
            sha256: Some(Sha256::digest(text.as_bytes()).into()),
            head: text.as_bytes().to_vec(),
            link: None,
        }
    }

    #[test]
    fn compares_across_top_directories() {
        let old = vec![
            file("x-1.0/a.txt", "one\ntwo\nthree\n"),
            file("x-1.0/gone.txt", "bye\n"),
            file("x-1.0/same.txt", "same\n"),
        ];
        let new = vec![
            file("x-1.1/a.txt", "one\n2\nthree\n"),
            file("x-1.1/new.txt", "hi\n"),
            file("x-1.1/same.txt", "same\n"),
        ];
        let mut budget = 100;
        let (files, unchanged) = compare(&old, &new, &mut budget);
        assert_eq!(unchanged, 1);
        let summary: Vec<(&str, Status, usize, usize)> = files
            .iter()
            .map(|f| (f.path.as_str(), f.status, f.added, f.removed))
            .collect();
        assert_eq!(
            summary,
            [
                ("a.txt", Status::Changed, 1, 1),
                ("gone.txt", Status::Removed, 0, 1),
                ("new.txt", Status::Added, 1, 0)
            ]
        );
        assert_eq!(
            files[0].lines.as_deref().unwrap(),
            [
                Line::Hunk("@@ -1,3 +1,3 @@".into()),
                Line::Same("one".into()),
                Line::Del("two".into()),
                Line::Add("2".into()),
                Line::Same("three".into()),
            ]
        );
        assert!(budget < 100);
    }

    #[test]
    fn binaries_and_long_diffs_get_a_note() {
        let old = vec![file("a.bin", "\0x")];
        let new = vec![file("a.bin", "\0y"), file("b.txt", "1\n2\n3\n")];
        let mut budget = 2;
        let (files, _) = compare(&old, &new, &mut budget);
        assert_eq!(files[0].note, Some("Binary file"));
        assert!(files[1].lines.is_none());
        assert!(files[1].note.unwrap().contains("too long"));
    }
}
