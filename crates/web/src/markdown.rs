//! README rendering: CommonMark (+ tables, strikethrough, task lists, footnotes) to HTML,
//! sanitized on the way:
//!
//! - raw HTML never reaches the page: tags are removed and only their text is kept, as
//!   escaped text; the contents of `<script>`, `<style>` and similar elements and HTML
//!   comments are dropped entirely;
//! - link and image URLs must be `http:`, `https:`, `mailto:` or relative; any other scheme
//!   (`javascript:`, `data:`, `vbscript:`, …) removes the link (its text stays) or the image;
//! - links get `rel="nofollow noopener noreferrer ugc"`; headings move one level down so the
//!   page keeps a single `<h1>`.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Elements whose content is never text for the reader.
const DROP_CONTENT: &[&str] = &[
    "script", "style", "textarea", "title", "iframe", "noscript", "template", "xmp", "noembed", "noframes", "object",
    "svg", "math",
];

/// Renders a README to sanitized HTML.
pub fn render(markdown: &str) -> String {
    let opts =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS | Options::ENABLE_FOOTNOTES;
    let mut raw = RawHtml::default();
    // Whether each open link / image was kept.
    let mut links: Vec<bool> = Vec::new();
    let mut images: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, opts).filter_map(|ev| match ev {
        Event::Html(s) | Event::InlineHtml(s) => {
            let text = raw.strip(&s);
            (!text.trim().is_empty()).then(|| Event::Text(text.into()))
        }
        Event::Text(_) | Event::Code(_) if raw.dropping() => None,
        Event::Start(Tag::Link { dest_url, title, .. }) => match safe_url(&dest_url) {
            true => {
                links.push(true);
                let title = if title.is_empty() {
                    String::new()
                } else {
                    format!(" title=\"{}\"", escape_attr(&title))
                };
                Some(Event::InlineHtml(CowStr::from(format!(
                    "<a href=\"{}\" rel=\"nofollow noopener noreferrer ugc\"{title}>",
                    escape_attr(&dest_url)
                ))))
            }
            false => {
                links.push(false);
                None
            }
        },
        Event::End(TagEnd::Link) => match links.pop() {
            Some(true) => Some(Event::InlineHtml(CowStr::Borrowed("</a>"))),
            _ => None,
        },
        Event::Start(Tag::Image { ref dest_url, .. }) => {
            let keep = safe_url(dest_url);
            images.push(keep);
            keep.then_some(ev)
        }
        Event::End(TagEnd::Image) => match images.pop() {
            Some(true) => Some(ev),
            _ => None,
        },
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Some(Event::Start(Tag::Heading {
            level: demote(level),
            id,
            classes,
            attrs,
        })),
        Event::End(TagEnd::Heading(level)) => Some(Event::End(TagEnd::Heading(demote(level)))),
        Event::End(TagEnd::Paragraph) | Event::End(TagEnd::HtmlBlock) => {
            // Raw HTML never spans blocks: an unclosed `<script>` must not hide the rest.
            raw = RawHtml::default();
            Some(ev)
        }
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// Whether a link or image URL may be used: `http(s)`, `mailto`, or relative (no scheme).
pub fn safe_url(url: &str) -> bool {
    // Browsers ignore ASCII whitespace and control characters inside a scheme.
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    if cleaned.starts_with("http://") || cleaned.starts_with("https://") || cleaned.starts_with("mailto:") {
        return true;
    }
    // Relative: no `:` before the first `/`, `?` or `#`.
    let head = cleaned.split(['/', '?', '#']).next().unwrap_or("");
    !head.contains(':') && !cleaned.starts_with('\\')
}

fn escape_attr(s: &str) -> String {
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

/// Strips tags from raw HTML, keeping the text between them; remembers across events
/// whether it is inside a comment or an element whose content is dropped.
#[derive(Default)]
struct RawHtml {
    /// Inside `<script>` (etc.): the element's name.
    dropping: Option<String>,
    in_comment: bool,
}

impl RawHtml {
    fn dropping(&self) -> bool {
        self.dropping.is_some() || self.in_comment
    }

    fn strip(&mut self, html: &str) -> String {
        let mut out = String::new();
        let mut rest = html;
        while !rest.is_empty() {
            if self.in_comment {
                match rest.find("-->") {
                    Some(i) => {
                        rest = &rest[i + 3..];
                        self.in_comment = false;
                    }
                    None => break,
                }
                continue;
            }
            let Some(lt) = rest.find('<') else {
                if self.dropping.is_none() {
                    out.push_str(rest);
                }
                break;
            };
            if self.dropping.is_none() {
                out.push_str(&rest[..lt]);
            }
            rest = &rest[lt..];
            if rest.starts_with("<!--") {
                self.in_comment = true;
                rest = &rest[4..];
                continue;
            }
            let Some(gt) = rest.find('>') else {
                // A lone `<`: text (escaped on output), unless dropping.
                if self.dropping.is_none() {
                    out.push_str(rest);
                }
                break;
            };
            let tag = &rest[1..gt];
            let closing = tag.starts_with('/');
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            match &self.dropping {
                Some(open) if closing && *open == name => self.dropping = None,
                Some(_) => {}
                None if !closing && !tag.ends_with('/') && DROP_CONTENT.contains(&name.as_str()) => {
                    self.dropping = Some(name)
                }
                None => {
                    if matches!(name.as_str(), "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3") {
                        out.push(' ');
                    }
                }
            }
            rest = &rest[gt + 1..];
        }
        decode_entities(&out)
    }
}

/// Decodes the few entities raw HTML commonly uses (the text is escaped again on output).
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        let html = render("# Title\n\nSome *text* and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<h2>Title</h2>"), "{html}");
        assert!(html.contains("<em>text</em>"));
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn scripts_are_inert() {
        let md = "Hi <script>alert(1)</script> there\n\n<script>\nalert(2)\n</script>\n\n\
                  <img src=x onerror=alert(3)>\n\n<a href=\"javascript:alert(4)\">click</a>\n\n\
                  <div onclick=\"alert(5)\">box</div>\n\n<!-- <script>alert(6)</script> -->\n\n<style>body{}</style>\n";
        let html = render(md);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("alert("), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<div"), "{html}");
        assert!(!html.contains("<style"), "{html}");
        assert!(html.contains("Hi"), "{html}");
        assert!(html.contains("there"), "{html}");
        assert!(html.contains("click"), "{html}");
        assert!(html.contains("box"), "{html}");
    }

    #[test]
    fn an_unclosed_script_hides_only_its_paragraph() {
        let html = render("a <script> b\n\nstill here\n");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("still here"), "{html}");
    }

    #[test]
    fn dangerous_urls_are_removed() {
        let md = "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](java\tscript:x) \
                  [d](data:text/html;base64,PHNjcmlwdD4=) [e](vbscript:x) [f](jav&#x61;script:alert(1)) \
                  <javascript:alert(2)> ![g](javascript:alert(3)) ![h](data:image/svg+xml,<svg>)\n\n\
                  [ok1](https://example.com/x?a=1&b=\"2\") [ok2](/docs) [ok3](#usage) [ok4](mailto:a@b.c) \
                  ![img](https://example.com/i.png)\n";
        let html = render(md);
        let lower = html.to_ascii_lowercase();
        for attr in ["href=\"", "src=\""] {
            for scheme in ["javascript", "java\tscript", "data:", "vbscript"] {
                assert!(!lower.contains(&format!("{attr}{scheme}")), "{attr}{scheme}: {html}");
            }
        }
        assert_eq!(lower.matches("<a ").count(), 4, "only the four safe links: {html}");
        assert_eq!(lower.matches("<img").count(), 1, "only the safe image: {html}");
        for text in ["a", "b", "d", "e", "f"] {
            assert!(html.contains(&format!("{text} ")), "{text} kept as text: {html}");
        }
        assert!(
            html.contains(
                "<a href=\"https://example.com/x?a=1&amp;b=&quot;2&quot;\" rel=\"nofollow noopener noreferrer ugc\">ok1</a>"
            ),
            "{html}"
        );
        assert!(html.contains("href=\"/docs\""), "{html}");
        assert!(html.contains("href=\"#usage\""), "{html}");
        assert!(html.contains("href=\"mailto:a@b.c\""), "{html}");
        assert!(
            html.contains("<img src=\"https://example.com/i.png\" alt=\"img\""),
            "{html}"
        );
    }

    #[test]
    fn url_rules() {
        assert!(safe_url("https://x.y"));
        assert!(safe_url("HTTP://x.y"));
        assert!(safe_url("mailto:x@y.z"));
        assert!(safe_url("docs/a.md"));
        assert!(safe_url("../a.md#x"));
        assert!(safe_url("?a=b:c"));
        assert!(!safe_url("javascript:alert(1)"));
        assert!(!safe_url(" javascript:alert(1)"));
        assert!(!safe_url("java\nscript:alert(1)"));
        assert!(!safe_url("data:text/html,x"));
        assert!(!safe_url("file:///etc/passwd"));
    }

    #[test]
    fn entities_in_raw_html_stay_escaped() {
        let html = render("<p>Fish &amp; chips &lt;script&gt;alert(1)&lt;/script&gt;</p>\n");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("Fish &amp; chips &lt;script&gt;"), "{html}");
    }
}
