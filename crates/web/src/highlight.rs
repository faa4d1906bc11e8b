//! Server-side syntax highlighting with `syntect` (Sublime Text grammars: bat's set, from
//! `two-face`, which has TOML, TypeScript and Dockerfiles besides syntect's): code becomes
//! HTML-escaped text in `<span class="hl-…">` elements named after the grammar's scopes
//! (`hl-comment`, `hl-string`, `hl-keyword`, …), coloured by the stylesheet. No theme, no
//! inline style, no script; code in an unknown language, or too long, stays plain text.

use std::sync::LazyLock;
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Longest code highlighted (bytes); longer code is shown as plain text.
pub const MAX_HIGHLIGHT_BYTES: usize = 256 * 1024;
/// Most lines highlighted.
const MAX_HIGHLIGHT_LINES: usize = 8_000;

/// bat's grammars (syntect's defaults and TOML, TypeScript, Dockerfile, INI, …), loaded once.
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(two_face::syntax::extra_newlines);

/// Names the grammars do not know, mapped to a close grammar.
fn alias(lang: &str) -> &str {
    match lang {
        "mjs" | "cjs" | "javascript" | "node" => "js",
        "shell" | "console" | "shell-session" => "sh",
        "python3" => "py",
        "containerfile" => "dockerfile",
        other => other,
    }
}

fn find_syntax(token: &str) -> Option<&'static SyntaxReference> {
    let ss = &*SYNTAXES;
    let lower = token.to_ascii_lowercase();
    ss.find_syntax_by_token(&lower)
        .or_else(|| ss.find_syntax_by_extension(&lower))
        .or_else(|| ss.find_syntax_by_token(alias(&lower)))
        .filter(|s| s.name != "Plain Text")
}

/// The grammar of a fenced code block's info string (`rust`, `js`, `toml {…}`).
pub fn syntax_for_lang(info: &str) -> Option<&'static SyntaxReference> {
    let lang = info.split(|c: char| c.is_whitespace() || c == ',' || c == '{').next()?;
    (!lang.is_empty()).then(|| find_syntax(lang)).flatten()
}

/// The grammar of a file, by its name (`Makefile`, `x.rs`, `.bashrc`) or its first line
/// (`#!/usr/bin/env python`).
pub fn syntax_for_file(path: &str, text: &str) -> Option<&'static SyntaxReference> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let lower = file.to_ascii_lowercase();
    let by_name = match lower.as_str() {
        "dockerfile" | "containerfile" => Some("dockerfile"),
        "cargo.lock" | "poetry.lock" | "pipfile" => Some("toml"),
        _ => None,
    };
    by_name
        .and_then(find_syntax)
        .or_else(|| lower.rsplit_once('.').and_then(|(_, ext)| find_syntax(ext)))
        .or_else(|| SYNTAXES.find_syntax_by_extension(file))
        .or_else(|| {
            let first = text.lines().next().unwrap_or_default();
            SYNTAXES.find_syntax_by_first_line(first)
        })
        .filter(|s| s.name != "Plain Text")
}

/// Highlighted HTML of `code` (escaped, in `hl-` spans), or `None` when `code` has no
/// grammar, is too long, or the grammar fails on it: the caller then shows it escaped.
pub fn highlight(code: &str, syntax: Option<&SyntaxReference>) -> Option<String> {
    let syntax = syntax?;
    if code.len() > MAX_HIGHLIGHT_BYTES || code.lines().count() > MAX_HIGHLIGHT_LINES {
        return None;
    }
    let mut gen =
        ClassedHTMLGenerator::new_with_class_style(syntax, &SYNTAXES, ClassStyle::SpacedPrefixed { prefix: "hl-" });
    for line in LinesWithEndings::from(code) {
        gen.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    Some(gen.finalize())
}

/// Escaped code, highlighted when its grammar is known.
pub fn code_html(code: &str, syntax: Option<&SyntaxReference>) -> String {
    highlight(code, syntax).unwrap_or_else(|| escape(code))
}

/// HTML-escapes text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_known_languages_with_classes_only() {
        let html = highlight("fn main() { let s = \"<b>\"; } // hi\n", syntax_for_lang("rust")).unwrap();
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(html.contains("hl-comment"), "{html}");
        assert!(html.contains("hl-string"), "{html}");
        assert!(html.contains("&lt;b&gt;"), "escaped: {html}");
        assert!(!html.contains("style="), "{html}");
        assert!(!html.contains("<b>"), "{html}");
    }

    #[test]
    fn finds_grammars_by_name_extension_and_first_line() {
        assert_eq!(syntax_for_file("src/lib.rs", "").unwrap().name, "Rust");
        assert_eq!(syntax_for_file("package/index.js", "").unwrap().name, "JavaScript");
        assert_eq!(syntax_for_file("x-1.0/setup.py", "").unwrap().name, "Python");
        assert_eq!(
            syntax_for_file("bin/tool", "#!/usr/bin/env python3\n").unwrap().name,
            "Python"
        );
        assert_eq!(syntax_for_file("Makefile", "").unwrap().name, "Makefile");
        assert_eq!(syntax_for_file("pkg/Cargo.toml", "").unwrap().name, "TOML");
        assert_eq!(syntax_for_file("Cargo.lock", "").unwrap().name, "TOML");
        assert_eq!(syntax_for_file("Dockerfile", "").unwrap().name, "Dockerfile");
        assert_eq!(syntax_for_lang("toml").unwrap().name, "TOML");
        assert_eq!(syntax_for_lang("ts").unwrap().name, "TypeScript");
        assert!(syntax_for_file("data.unknownext", "hello").is_none());
        assert!(syntax_for_lang("").is_none());
        assert!(syntax_for_lang("no-such-language").is_none());
        assert!(syntax_for_lang("ts").is_some());
        assert!(syntax_for_lang("sh").is_some());
    }

    #[test]
    fn toml_is_highlighted() {
        let toml = "[package]\nname = \"widget\" # the name\nversion = 1\n";
        let html = highlight(toml, syntax_for_file("trove.toml", toml)).unwrap();
        assert!(html.contains("hl-comment"), "{html}");
        assert!(html.contains("hl-string"), "{html}");
        assert!(html.contains("hl-constant hl-numeric"), "{html}");
    }

    #[test]
    fn unknown_or_huge_code_stays_plain() {
        assert_eq!(code_html("<x>", None), "&lt;x&gt;");
        let huge = "a\n".repeat(MAX_HIGHLIGHT_BYTES);
        assert!(highlight(&huge, syntax_for_lang("rust")).is_none());
    }
}
