//! Tokenization and name normalization, shared by indexing and querying so both see the
//! same terms.

/// Longer runs (hashes, base64, minified code in a README) are not indexed.
pub const MAX_TOKEN_CHARS: usize = 40;

/// Calls `f` with each token of `text`: maximal runs of alphanumeric characters, lowercased.
/// Runs longer than [`MAX_TOKEN_CHARS`] are skipped.
pub fn for_each_token(text: &str, mut f: impl FnMut(&str)) {
    let mut buf = String::new();
    let mut chars = 0usize;
    let mut flush = |buf: &mut String, chars: &mut usize| {
        if !buf.is_empty() && *chars <= MAX_TOKEN_CHARS {
            f(buf);
        }
        buf.clear();
        *chars = 0;
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            chars += 1;
            if chars <= MAX_TOKEN_CHARS {
                if c.is_ascii() {
                    buf.push(c.to_ascii_lowercase());
                } else {
                    buf.extend(c.to_lowercase());
                }
            }
        } else {
            flush(&mut buf, &mut chars);
        }
    }
    flush(&mut buf, &mut chars);
}

/// The tokens of `text` as owned strings.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, |t| out.push(t.to_string()));
    out
}

/// The form names are compared in: lowercase, with `_`, `.` and runs of white space turned
/// into `-` (so `Markdown Parser`, `markdown_parser` and `markdown-parser` are one name).
pub fn normalize_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_dash = false;
    for c in s.trim().chars() {
        if c.is_whitespace() || c == '_' || c == '.' || c == '-' {
            pending_dash = !out.is_empty();
            continue;
        }
        if pending_dash {
            if !out.ends_with('/') && c != '/' {
                out.push('-');
            }
            pending_dash = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Common English words that say nothing about a package. They are not indexed from
/// descriptions and READMEs, and are dropped from queries that have other words.
pub fn is_stopword(t: &str) -> bool {
    matches!(
        t,
        "a" | "an"
            | "and"
            | "are"
            | "as"
            | "at"
            | "be"
            | "but"
            | "by"
            | "for"
            | "from"
            | "has"
            | "have"
            | "if"
            | "in"
            | "into"
            | "is"
            | "it"
            | "its"
            | "of"
            | "on"
            | "or"
            | "so"
            | "than"
            | "that"
            | "the"
            | "their"
            | "then"
            | "there"
            | "these"
            | "this"
            | "to"
            | "was"
            | "were"
            | "will"
            | "with"
            | "you"
            | "your"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_punctuation_and_lowercases() {
        assert_eq!(
            tokens("A fast Markdown-to-HTML parser (CommonMark 0.31), e.g. `pulldown_cmark`!"),
            [
                "a",
                "fast",
                "markdown",
                "to",
                "html",
                "parser",
                "commonmark",
                "0",
                "31",
                "e",
                "g",
                "pulldown",
                "cmark"
            ]
        );
    }

    #[test]
    fn keeps_unicode_letters_and_skips_huge_runs() {
        assert_eq!(tokens("Übersetzung für Straße"), ["übersetzung", "für", "straße"]);
        let junk = "x".repeat(MAX_TOKEN_CHARS + 1);
        assert_eq!(tokens(&format!("ok {junk} fine")), ["ok", "fine"]);
        let edge = "y".repeat(MAX_TOKEN_CHARS);
        assert_eq!(tokens(&edge), std::slice::from_ref(&edge));
        assert!(tokens("  --  ").is_empty());
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize_name("  Markdown Parser "), "markdown-parser");
        assert_eq!(normalize_name("markdown_parser"), "markdown-parser");
        assert_eq!(normalize_name("a.b--c"), "a-b-c");
        assert_eq!(normalize_name("Alice / Widget"), "alice/widget");
        assert_eq!(normalize_name("alice/my_widget"), "alice/my-widget");
        assert_eq!(normalize_name(""), "");
    }

    #[test]
    fn stopwords() {
        assert!(is_stopword("the") && is_stopword("for"));
        assert!(!is_stopword("markdown"));
    }
}
