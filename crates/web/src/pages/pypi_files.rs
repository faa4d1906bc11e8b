//! A PyPI release's files on its package page: the sdist and each wheel with its tags, read
//! from the wheel's file name (PEP 427 `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`)
//! and said in words ("CPython 3.11 · manylinux (glibc 2.17+) x86_64"), size, upload time,
//! SHA-256, a download link (the index's own file URL) and a link into the file browser.

use super::files::files_url;
use crate::fmt::{bytes, date, date_time, encode, short_digest};
use maud::{html, Markup};
use trove_core::FileKind;
use trove_service::packages::FileView;
use trove_service::views::PackageView;

/// The three tags of a wheel's file name, each possibly a compressed set (`py2.py3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WheelTags<'a> {
    pub python: &'a str,
    pub abi: &'a str,
    pub platform: &'a str,
}

/// The tags of a wheel file name; `None` when it is not one.
pub(crate) fn wheel_tags(filename: &str) -> Option<WheelTags<'_>> {
    let stem = filename.strip_suffix(".whl")?;
    let parts: Vec<&str> = stem.split('-').collect();
    match parts.as_slice() {
        [_, _, py, abi, plat] | [_, _, _, py, abi, plat] if [py, abi, plat].iter().all(|s| !s.is_empty()) => {
            Some(WheelTags {
                python: py,
                abi,
                platform: plat,
            })
        }
        _ => None,
    }
}

/// `3` → `3`, `311` → `3.11`, `27` → `2.7` (a tag's version digits: major, then minor).
fn dotted(digits: &str) -> String {
    match digits.len() {
        0 | 1 => digits.to_string(),
        _ => format!("{}.{}", &digits[..1], &digits[1..]),
    }
}

/// One Python tag in words: `cp311` → `CPython 3.11`, `py3` → `Python 3`.
fn python_words(tag: &str) -> String {
    let split = tag.find(|c: char| c.is_ascii_digit()).unwrap_or(tag.len());
    let (implementation, digits) = tag.split_at(split);
    let name = match implementation {
        "py" => "Python",
        "cp" => "CPython",
        "pp" => "PyPy",
        "ip" => "IronPython",
        "jy" => "Jython",
        "graalpy" => "GraalPy",
        _ => return tag.to_string(),
    };
    if digits.chars().all(|c| c.is_ascii_digit()) {
        format!("{name} {}", dotted(digits)).trim_end().to_string()
    } else {
        tag.to_string()
    }
}

/// The ABI tag in words when it says more than the Python tag: the stable ABI, a
/// free-threaded build; nothing for `none` or the interpreter's own ABI (`cp311`).
fn abi_words(abi: &str, python: &str) -> Option<String> {
    match abi {
        "none" => None,
        "abi3" => Some("stable ABI (abi3)".into()),
        a if python.split('.').any(|p| p == a) => None,
        a if a.starts_with("cp") && a.ends_with('t') => Some("free-threaded".into()),
        // `cp37m`: the pymalloc build every CPython 3.7 is.
        a if a.starts_with("cp") && a.ends_with('m') && python.split('.').any(|p| a.starts_with(p)) => None,
        a => Some(format!("ABI {a}")),
    }
}

/// `x86_64`, `aarch64`, `universal2`… as written; Windows' names spelled out.
fn arch_words(arch: &str) -> &str {
    match arch {
        "amd64" => "x86-64",
        "arm64" => "ARM64",
        other => other,
    }
}

/// One platform tag in words: `manylinux_2_17_x86_64` → `manylinux (glibc 2.17+) x86_64`,
/// `macosx_11_0_arm64` → `macOS 11.0+ arm64`, `win_amd64` → `Windows x86-64`, `any` → `any
/// platform`. Unknown tags are shown as written.
fn platform_words(tag: &str) -> String {
    // The legacy manylinux names are aliases of glibc versions (PEP 600).
    let tag = match tag.split_once('_') {
        Some(("manylinux1", arch)) => format!("manylinux_2_5_{arch}"),
        Some(("manylinux2010", arch)) => format!("manylinux_2_12_{arch}"),
        Some(("manylinux2014", arch)) => format!("manylinux_2_17_{arch}"),
        _ => tag.to_string(),
    };
    let versioned = |rest: &str| -> Option<(String, String)> {
        let mut it = rest.splitn(3, '_');
        let (major, minor, arch) = (it.next()?, it.next()?, it.next()?);
        let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        (numeric(major) && numeric(minor)).then(|| (format!("{major}.{minor}"), arch.to_string()))
    };
    if tag == "any" {
        return "any platform".into();
    }
    if let Some((v, arch)) = tag.strip_prefix("manylinux_").and_then(versioned) {
        return format!("manylinux (glibc {v}+) {arch}");
    }
    if let Some((v, arch)) = tag.strip_prefix("musllinux_").and_then(versioned) {
        return format!("musllinux (musl {v}+) {arch}");
    }
    if let Some((v, arch)) = tag.strip_prefix("macosx_").and_then(versioned) {
        return format!("macOS {v}+ {arch}");
    }
    if tag == "win32" {
        return "Windows x86".into();
    }
    if let Some(arch) = tag.strip_prefix("win_") {
        return format!("Windows {}", arch_words(arch));
    }
    if let Some(arch) = tag.strip_prefix("linux_") {
        return format!("Linux {arch}");
    }
    tag
}

/// Each member of a compressed tag set in words, duplicates (aliases) once, joined by ` / `.
fn set_words(set: &str, words: impl Fn(&str) -> String) -> String {
    let mut out: Vec<String> = Vec::new();
    for w in set.split('.').map(words) {
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out.join(" / ")
}

/// A wheel's tags in words: `CPython 3.11 · manylinux (glibc 2.17+) x86_64`,
/// `Python 2 / Python 3 · any platform`.
pub(crate) fn describe(tags: &WheelTags<'_>) -> String {
    let mut parts = vec![set_words(tags.python, python_words)];
    let abis: Vec<String> = tags.abi.split('.').filter_map(|a| abi_words(a, tags.python)).collect();
    if !abis.is_empty() {
        parts.push(abis.join(" / "));
    }
    parts.push(set_words(tags.platform, platform_words));
    parts.join(" · ")
}

/// Where pip downloads a file of the project: the index's file URL.
pub(crate) fn download_url(pkg: &PackageView, filename: &str) -> String {
    format!("/pypi/{}/files/{}/{}", pkg.scope, pkg.name, encode(filename))
}

/// The "Files" section of a release: one row per distribution.
pub(crate) fn section(pkg: &PackageView, version: &str, files: &[FileView]) -> Markup {
    html! {
        section #files .card.pypi-files aria-labelledby="files-title" {
            div.section-head {
                h2 #files-title { "Files" }
                span.section-note { "of " (version) }
            }
            @if files.is_empty() {
                p.empty { "This release has no files." }
            } @else {
                div.table-wrap {
                    table.table {
                        thead {
                            tr {
                                th scope="col" { "File" }
                                th scope="col" { "Type" }
                                th scope="col" { "For" }
                                th scope="col" { "Size" }
                                th scope="col" { "Uploaded" }
                                th scope="col" { "SHA-256" }
                            }
                        }
                        tbody {
                            @for f in files {
                                @let tags = wheel_tags(&f.filename).filter(|_| f.kind == FileKind::Wheel);
                                tr.dist-file {
                                    th scope="row" {
                                        a.dist-download href=(download_url(pkg, &f.filename)) download { (f.filename) }
                                        " "
                                        a.dist-browse href={ (files_url(&pkg.scope, &pkg.name, version, "")) "?archive=" (encode(&f.filename)) }
                                            aria-label={ "Browse the files of " (f.filename) } { "browse" }
                                    }
                                    td { @if f.kind == FileKind::Wheel { "Wheel" } @else { "Source" } }
                                    td.wheel-tags {
                                        @match &tags {
                                            Some(t) => {
                                                span.tags-words { (describe(t)) }
                                                " "
                                                code.tags { (t.python) "-" (t.abi) "-" (t.platform) }
                                            },
                                            None => span.tags-words { "any (built on install)" },
                                        }
                                    }
                                    td.num { (bytes(f.size)) }
                                    td { time datetime=(f.uploaded_at) title=(date_time(&f.uploaded_at)) { (date(&f.uploaded_at)) } }
                                    td { code title=(f.digest) { (short_digest(&f.digest)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(filename: &str) -> String {
        describe(&wheel_tags(filename).unwrap())
    }

    #[test]
    fn wheel_tags_in_words() {
        assert_eq!(words("a-1.0-py3-none-any.whl"), "Python 3 · any platform");
        assert_eq!(
            words("a-1.0-py2.py3-none-any.whl"),
            "Python 2 / Python 3 · any platform"
        );
        assert_eq!(
            words("numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
            "CPython 3.11 · manylinux (glibc 2.17+) x86_64"
        );
        assert_eq!(
            words("a-1.0-1-cp312-abi3-macosx_11_0_arm64.whl"),
            "CPython 3.12 · stable ABI (abi3) · macOS 11.0+ arm64"
        );
        assert_eq!(
            words("a-1.0-cp313-cp313t-win_amd64.whl"),
            "CPython 3.13 · free-threaded · Windows x86-64"
        );
        assert_eq!(words("a-1.0-cp37-cp37m-win32.whl"), "CPython 3.7 · Windows x86");
        assert_eq!(
            words("a-1.0-pp310-pypy310_pp73-musllinux_1_2_aarch64.whl"),
            "PyPy 3.10 · ABI pypy310_pp73 · musllinux (musl 1.2+) aarch64"
        );
        assert_eq!(
            words("a-1.0-cp311-cp311-linux_x86_64.whl"),
            "CPython 3.11 · Linux x86_64"
        );
        assert_eq!(words("a-1.0-xx1-weird-plan9_386.whl"), "xx1 · ABI weird · plan9_386");
        assert_eq!(wheel_tags("a-1.0.tar.gz"), None);
        assert_eq!(wheel_tags("a-1.0-py3-any.whl"), None);
    }
}
