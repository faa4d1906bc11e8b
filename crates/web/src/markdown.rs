//! README rendering: CommonMark (+ tables, strikethrough, task lists, footnotes) to HTML,
//! sanitized by [`ammonia`] down to a GitHub-like subset of HTML:
//!
//! - elements: headings, paragraphs, quotes, code, emphasis, lists, tables, `<details>`,
//!   links, images, `<picture>` and task-list checkboxes (always disabled); any other
//!   element is removed and its text kept, except `<script>`, `<style>`, `<iframe>`, `<svg>`
//!   and the like, which go with their content;
//! - attributes: only those listed for each element; no event handlers, no `style` (the CSP
//!   forbids it; table alignment is an `align` attribute); ids get a `user-content-` prefix
//!   so none can clobber one of the page's, and `name` is dropped;
//! - URLs: links `http:`, `https:`, `mailto:` or relative, images `http:`, `https:` or
//!   relative; any other URL (`javascript:`, `data:`, …) is dropped and its element left inert;
//! - links get `rel="nofollow noopener noreferrer ugc"`;
//! - code: fenced blocks in a known language are highlighted ([`crate::highlight`]); the
//!   only classes kept are those `hl-` classes, on `<span>`;
//! - relative links and images of a version's README ([`render_for`]) point into that
//!   version's file browser and raw files.
//!
//! Before sanitizing, the Markdown's HTML is adjusted to fit the page (none of this is needed
//! for safety): headings, Markdown and raw, move one level down so the page keeps a single
//! `<h1>`; a raw `<script>`, `<style>`, … left open ends with the Markdown block it is in
//! instead of swallowing the rest of the README; footnote links target the prefixed ids.

use ammonia::{url, Builder, Url, UrlRelative};
use pulldown_cmark::{Alignment, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Prefix of every id in a README, so that none clobbers an id of the page around it.
const ID_PREFIX: &str = "user-content-";

/// The names of task-list checkboxes (they are disabled, so their state is all they say).
const TASK_DONE: &str = "Done";
const TASK_OPEN: &str = "Not done";

/// Elements kept (with the attributes [`SANITIZER`] allows); others are removed, their text kept.
#[rustfmt::skip]
const ALLOWED: &[&str] = &[
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code",
    "em", "strong", "b", "i", "del", "s", "sup", "sub", "kbd",
    "ul", "ol", "li", "dl", "dt", "dd",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    "a", "img", "picture", "source", "details", "summary", "input", "span",
];

/// Elements that take in everything up to their own end tag (their content is raw text to
/// the HTML parser, or a template's): removed with their content, and closed at the end of
/// the Markdown block they were opened in.
const GREEDY: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "template",
];

/// End tags for every [`GREEDY`] element; where none is open, the parser ignores them.
static CLOSE_GREEDY: LazyLock<String> = LazyLock::new(|| GREEDY.iter().map(|t| format!("</{t}>")).collect());

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let align = || HashMap::from([("align", HashSet::from(["left", "center", "right"]))]);
    let mut b = Builder::empty();
    b.tags(ALLOWED.iter().copied().collect())
        .clean_content_tags(GREEDY.iter().copied().chain(["object", "svg", "math"]).collect())
        .generic_attributes(HashSet::from(["id", "title", "lang"]))
        .tag_attributes(HashMap::from([
            ("a", HashSet::from(["href"])),
            ("img", HashSet::from(["src", "alt", "width", "height"])),
            ("source", HashSet::from(["srcset", "media", "type", "width", "height"])),
            ("ol", HashSet::from(["start"])),
            ("th", HashSet::from(["colspan", "rowspan"])),
            ("td", HashSet::from(["colspan", "rowspan"])),
            ("details", HashSet::from(["open"])),
            ("input", HashSet::from(["checked", "disabled"])),
            ("span", HashSet::from(["class"])),
        ]))
        .tag_attribute_values(
            ["p", "h1", "h2", "h3", "h4", "h5", "h6", "th", "td"]
                .into_iter()
                .map(|tag| (tag, align()))
                .chain([(
                    "input",
                    HashMap::from([
                        ("type", HashSet::from(["checkbox"])),
                        ("aria-label", HashSet::from([TASK_DONE, TASK_OPEN])),
                    ]),
                )])
                .collect(),
        )
        // Whatever an `<input>` was, it is now a task-list checkbox the reader cannot change.
        // Code blocks and tables scroll sideways: keyboard users reach them with Tab.
        .set_tag_attribute_values(HashMap::from([
            ("input", HashMap::from([("type", "checkbox"), ("disabled", "")])),
            ("pre", HashMap::from([("tabindex", "0")])),
            ("table", HashMap::from([("tabindex", "0")])),
        ]))
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(UrlRelative::PassThrough)
        .link_rel(Some("nofollow noopener noreferrer ugc"))
        .id_prefix(Some(ID_PREFIX))
        .strip_comments(true)
        .attribute_filter(|element, attribute, value| {
            let keep = match (element, attribute) {
                ("img", "src") if web_url(value) => {
                    return Some(resolve(value, |l| &l.raw).map_or(Cow::Borrowed(value), Cow::Owned))
                }
                ("img", "src") => false,
                ("a", "href") => return Some(resolve(value, |l| &l.files).map_or(Cow::Borrowed(value), Cow::Owned)),
                // Highlighting classes only.
                ("span", "class") => value.split_ascii_whitespace().all(|c| {
                    c.strip_prefix("hl-").is_some_and(|n| {
                        !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    })
                }),
                // Not a URL attribute to ammonia: every candidate URL is checked here.
                ("source", "srcset") => value
                    .split(|c: char| c == ',' || c.is_ascii_whitespace())
                    .filter(|part| !part.is_empty())
                    .all(web_url),
                _ => true,
            };
            keep.then_some(Cow::Borrowed(value))
        });
    b
});

/// Whether an image URL is `http:`, `https:` or relative (as ammonia reads URLs).
fn web_url(value: &str) -> bool {
    match Url::parse(value) {
        Ok(url) => matches!(url.scheme(), "http" | "https"),
        Err(e) => e == url::ParseError::RelativeUrlWithoutBase,
    }
}

/// Where a version's README points its relative links and images: `files` and `raw` are
/// URL prefixes ending in `/` (the version's file browser and raw files), `dir` the
/// README's directory inside the archive (`""` at the root, else ending in `/`).
#[derive(Debug, Clone)]
pub struct ReadmeLinks {
    pub files: String,
    pub raw: String,
    pub dir: String,
}

thread_local! {
    /// The links of the README being sanitized on this thread (the sanitizer is shared).
    static LINKS: RefCell<Option<ReadmeLinks>> = const { RefCell::new(None) };
}

/// A relative URL (`docs/x.png`, `../LICENSE`, `./a.md#usage`) resolved against the README's
/// directory and prefixed by `prefix(links)`; `None` for other URLs or when no links are set.
/// Climbing above the archive root stops at the root.
fn resolve(value: &str, prefix: impl Fn(&ReadmeLinks) -> &String) -> Option<String> {
    if value.is_empty() || value.starts_with(['#', '/', '?']) {
        return None;
    }
    if !matches!(Url::parse(value), Err(url::ParseError::RelativeUrlWithoutBase)) {
        return None;
    }
    LINKS.with_borrow(|links| {
        let links = links.as_ref()?;
        let path = value.split(['?', '#']).next().unwrap_or_default();
        let mut parts: Vec<&str> = links.dir.split('/').filter(|p| !p.is_empty()).collect();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        let mut out = format!("{}{}", prefix(links), parts.join("/"));
        if path.ends_with('/') && !parts.is_empty() {
            out.push('/');
        }
        Some(out)
    })
}

/// Renders a README to sanitized HTML.
pub fn render(markdown: &str) -> String {
    SANITIZER.clean(&to_html(markdown)).to_string()
}

/// Renders a version's README: as [`render`], with relative links and images resolved to
/// that version's files.
pub fn render_for(markdown: &str, links: ReadmeLinks) -> String {
    LINKS.set(Some(links));
    let html = render(markdown);
    LINKS.set(None);
    html
}

/// The Markdown as HTML, adjusted for the page but not yet sanitized.
fn to_html(markdown: &str) -> String {
    let opts =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS | Options::ENABLE_FOOTNOTES;
    let mut events = Vec::new();
    // Raw HTML was seen since greedy elements were last closed.
    let mut raw = false;
    let mut alignments: Vec<Alignment> = Vec::new();
    let mut in_head = false;
    let mut column = 0;
    // The language and text of the code block being read.
    let mut code: Option<(String, String)> = None;
    let mut footnotes: HashMap<CowStr, usize> = HashMap::new();
    let mut number = |label| {
        let next = footnotes.len() + 1;
        *footnotes.entry(label).or_insert(next)
    };
    for ev in Parser::new_ext(markdown, opts) {
        // Code blocks are written here, highlighted when their language is known.
        match (&mut code, &ev) {
            (None, Event::Start(Tag::CodeBlock(kind))) => {
                let lang = match kind {
                    pulldown_cmark::CodeBlockKind::Fenced(info) => info.to_string(),
                    pulldown_cmark::CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
                continue;
            }
            (Some((_, text)), Event::Text(t)) => {
                text.push_str(t);
                continue;
            }
            (Some((lang, text)), Event::End(TagEnd::CodeBlock)) => {
                let html = crate::highlight::code_html(text, crate::highlight::syntax_for_lang(lang));
                events.push(Event::Html(format!("<pre><code>{html}</code></pre>\n").into()));
                code = None;
                continue;
            }
            _ => {}
        }
        if raw && matches!(ev, Event::End(_)) {
            events.push(Event::Html(CLOSE_GREEDY.as_str().into()));
            raw = false;
        }
        events.push(match ev {
            Event::Html(s) => {
                raw = true;
                Event::Html(adjust_raw_html(s))
            }
            Event::InlineHtml(s) => {
                raw = true;
                Event::InlineHtml(adjust_raw_html(s))
            }
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => Event::Start(Tag::Heading {
                level: demote(level),
                id,
                classes,
                attrs,
            }),
            Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
            // Table cells are written here to carry their alignment as `align`, not `style`.
            Event::Start(Tag::Table(a)) => {
                alignments.clone_from(&a);
                Event::Start(Tag::Table(a))
            }
            Event::Start(Tag::TableHead) => {
                (in_head, column) = (true, 0);
                Event::Start(Tag::TableHead)
            }
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                Event::End(TagEnd::TableHead)
            }
            Event::Start(Tag::TableRow) => {
                column = 0;
                Event::Start(Tag::TableRow)
            }
            Event::Start(Tag::TableCell) => {
                let cell = if in_head { "th" } else { "td" };
                let align = match alignments.get(column) {
                    Some(Alignment::Left) => " align=\"left\"",
                    Some(Alignment::Center) => " align=\"center\"",
                    Some(Alignment::Right) => " align=\"right\"",
                    _ => "",
                };
                column += 1;
                Event::Html(format!("<{cell}{align}>").into())
            }
            // Footnotes: numbered, with ids that survive the prefix.
            Event::FootnoteReference(label) => {
                let n = number(label);
                Event::InlineHtml(format!("<sup><a href=\"#{ID_PREFIX}fn-{n}\">{n}</a></sup>").into())
            }
            Event::Start(Tag::FootnoteDefinition(label)) => {
                let n = number(label);
                Event::Html(format!("<ol start=\"{n}\"><li id=\"fn-{n}\">").into())
            }
            Event::End(TagEnd::FootnoteDefinition) => Event::Html("</li></ol>\n".into()),
            Event::TaskListMarker(done) => Event::InlineHtml(
                if done {
                    format!("<input type=\"checkbox\" disabled checked aria-label=\"{TASK_DONE}\"> ")
                } else {
                    format!("<input type=\"checkbox\" disabled aria-label=\"{TASK_OPEN}\"> ")
                }
                .into(),
            ),
            // In-README links to a heading (a table of contents) follow its prefixed id.
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) if dest_url.starts_with('#') && dest_url.len() > 1 => Event::Start(Tag::Link {
                link_type,
                dest_url: format!("#{ID_PREFIX}{}", &dest_url[1..]).into(),
                title,
                id,
            }),
            other => other,
        });
    }
    add_heading_ids(&mut events);
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out, events.into_iter());
    out
}

/// Gives every heading GitHub's id: its text in lower case, spaces as `-`, punctuation
/// dropped, `-1`, `-2`… on repeats (the sanitizer then adds the prefix).
fn add_heading_ids(events: &mut [Event<'_>]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { id: None, .. }) = &events[i] {
            let mut text = String::new();
            for ev in &events[i + 1..] {
                match ev {
                    Event::End(TagEnd::Heading(_)) => break,
                    Event::Text(t) | Event::Code(t) => text.push_str(t),
                    _ => {}
                }
            }
            let base = slug(&text);
            let n = seen.entry(base.clone()).or_insert(0);
            let slug = if *n == 0 { base.clone() } else { format!("{base}-{n}") };
            *n += 1;
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                *id = Some(slug.into());
            }
        }
        i += 1;
    }
}

/// A heading's anchor as GitHub makes it.
fn slug(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
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

/// Renames tags in raw HTML before it is parsed: headings move one level down like Markdown
/// ones (`<h1>` → `<h2>`, …), and `<plaintext>`, which nothing ends, is shown as text (as
/// GFM's tag filter does).
fn adjust_raw_html(html: CowStr<'_>) -> CowStr<'_> {
    let mut out = String::new();
    let mut done = 0;
    for (lt, _) in html.match_indices('<') {
        let start = lt + 1 + usize::from(html[lt + 1..].starts_with('/'));
        let name = html[start..]
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        let (from, to) = match lower.as_str() {
            "h1" => (start, "h2"),
            "h2" => (start, "h3"),
            "h3" => (start, "h4"),
            "h4" => (start, "h5"),
            "h5" => (start, "h6"),
            "plaintext" => (lt, "&lt;"),
            _ => continue,
        };
        out.push_str(&html[done..from]);
        out.push_str(to);
        done = if from == lt { lt + 1 } else { start + name.len() };
    }
    if done == 0 {
        return html;
    }
    out.push_str(&html[done..]);
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        let html = render("# Title\n\nSome *text* and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<h2 id=\"user-content-title\">Title</h2>"), "{html}");
        assert!(html.contains("<em>text</em>"));
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("<table tabindex=\"0\">"), "keyboard-scrollable: {html}");
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
        // The image stays, without its handler (it used to be removed with all raw HTML).
        assert!(html.contains("<img src=\"x\">"), "{html}");
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
        for open in [
            "<style>",
            "<textarea>",
            "<title>",
            "<iframe>",
            "<xmp>",
            "<noscript>",
            "<template>",
            "<plaintext>",
        ] {
            let html = render(&format!(
                "a {open} b\n\nstill here\n\n- in *a {open} list*\n- still listed\n"
            ));
            assert!(html.contains("<p>still here</p>"), "{open}: {html}");
            assert!(html.contains("<li>still listed</li>"), "{open}: {html}");
            assert!(!html.contains(open), "{open}: {html}");
        }
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
        // ammonia drops an unsafe URL, not its element: count what still points somewhere.
        assert_eq!(lower.matches("<a href=").count(), 4, "only the four safe links: {html}");
        assert_eq!(lower.matches("<img src=").count(), 1, "only the safe image: {html}");
        for text in ["a", "b", "d", "e", "f"] {
            assert!(html.contains(&format!(">{text}</a> ")), "{text} kept as text: {html}");
        }
        // pulldown-cmark percent-encodes the quotes in the URL.
        assert!(
            html.contains(
                "<a href=\"https://example.com/x?a=1&amp;b=%222%22\" rel=\"nofollow noopener noreferrer ugc\">ok1</a>"
            ),
            "{html}"
        );
        assert!(html.contains("href=\"/docs\""), "{html}");
        assert!(
            html.contains("href=\"#user-content-usage\""),
            "in-README links follow prefixed ids: {html}"
        );
        assert!(html.contains("href=\"mailto:a@b.c\""), "{html}");
        assert!(
            html.contains("<img src=\"https://example.com/i.png\" alt=\"img\""),
            "{html}"
        );
    }

    #[test]
    fn url_rules() {
        let link = |url: &str| render(&format!("<a href=\"{url}\">x</a>")).contains("href=");
        let image = |url: &str| render(&format!("<img src=\"{url}\">")).contains("src=");
        for url in [
            "https://x.y",
            "HTTP://x.y",
            "docs/a.md",
            "../a.md#x",
            "?a=b:c",
            "//cdn.example/x",
        ] {
            assert!(link(url) && image(url), "{url}");
        }
        assert!(link("mailto:x@y.z") && !image("mailto:x@y.z"));
        for url in [
            "javascript:alert(1)",
            " javascript:alert(1)",
            "java\nscript:alert(1)",
            "java&#9;script:alert(1)",
            "data:text/html,x",
            "data:image/png;base64,AAAA",
            "file:///etc/passwd",
            "vbscript:x",
        ] {
            assert!(!link(url) && !image(url), "{url:?}");
        }
    }

    #[test]
    fn entities_in_raw_html_stay_escaped() {
        let html = render("<p>Fish &amp; chips &lt;script&gt;alert(1)&lt;/script&gt;</p>\n");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("Fish &amp; chips &lt;script&gt;"), "{html}");
    }

    #[test]
    fn badges_keep_their_link_and_image() {
        let html = render("[![CI](https://img.shields.io/x.svg)](https://ci.example)\n");
        assert!(
            html.contains(
                "<a href=\"https://ci.example\" rel=\"nofollow noopener noreferrer ugc\">\
                 <img src=\"https://img.shields.io/x.svg\" alt=\"CI\"></a>"
            ),
            "{html}"
        );
        let html = render(
            "<p align=\"center\">\n  <a href=\"https://ci.example\"><img src=\"https://img.shields.io/x.svg\" alt=\"CI\" \
             width=\"90\"></a>\n</p>\n",
        );
        assert!(html.contains("<p align=\"center\">"), "{html}");
        assert!(
            html.contains(
                "<a href=\"https://ci.example\" rel=\"nofollow noopener noreferrer ugc\">\
                 <img src=\"https://img.shields.io/x.svg\" alt=\"CI\" width=\"90\"></a>"
            ),
            "{html}"
        );
    }

    #[test]
    fn details_survive() {
        let html = render("<details><summary>More</summary>text</details>\n");
        assert!(
            html.contains("<details><summary>More</summary>text</details>"),
            "{html}"
        );
        // Markdown between the tags, as GitHub READMEs write it.
        let html = render("<details open>\n<summary>More</summary>\n\n*text*\n\n</details>\n\nafter\n");
        assert!(html.contains("<details open=\"\">"), "{html}");
        assert!(html.contains("<summary>More</summary>"), "{html}");
        assert!(html.contains("<p><em>text</em></p>\n</details>"), "{html}");
        assert!(html.contains("<p>after</p>"), "{html}");
    }

    #[test]
    fn table_alignment_is_an_attribute() {
        let html = render("| l | c | r | n |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |\n");
        assert!(
            html.contains("<th align=\"left\">l</th><th align=\"center\">c</th><th align=\"right\">r</th><th>n</th>"),
            "{html}"
        );
        assert!(
            html.contains("<td align=\"left\">1</td><td align=\"center\">2</td><td align=\"right\">3</td><td>4</td>"),
            "{html}"
        );
        assert!(!html.contains("style"), "{html}");
        let html = render(
            "<table><tr><td align=\"center\" style=\"color:red\">x</td><td align=\"javascript\">y</td></tr></table>\n",
        );
        assert!(html.contains("<td align=\"center\">x</td><td>y</td>"), "{html}");
        assert!(!html.contains("style"), "{html}");
    }

    #[test]
    fn xss_payloads_are_neutralised() {
        let cases: &[(&str, &[&str])] = &[
            ("<img src=x onerror=alert(1)>", &["onerror", "alert"]),
            ("<a href=\"javascript:alert(1)\">x</a>", &["javascript", "alert"]),
            ("<svg><script>alert(1)</script></svg>", &["<svg", "<script", "alert"]),
            ("<svg onload=alert(1)><text>x</text></svg>", &["<svg", "onload", "alert"]),
            ("<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>", &["<math", "javascript"]),
            ("<iframe src=\"https://evil.example\"></iframe>", &["<iframe", "evil.example"]),
            ("<style>body { display: none }</style>", &["<style", "display"]),
            (
                "<form action=\"https://evil.example\"><input type=\"text\" name=\"q\"><button formaction=\"x\">Go</button></form>",
                &["<form", "action", "evil.example", "name=", "text", "<button"],
            ),
            ("<a href=\"data:text/html,<script>alert(1)</script>\">x</a>", &["data:", "<script", "alert"]),
            ("<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>", &["data:", "base64"]),
            ("<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">", &["data:", "alert"]),
            ("<object data=\"https://evil.example/x.swf\"></object><embed src=\"https://evil.example/x.swf\">", &["<object", "<embed", "evil"]),
            ("<p style=\"background:url(https://evil.example)\" onmouseover=\"alert(1)\">x</p>", &["style", "evil", "alert"]),
            ("<a href=\"https://ok.example\" target=\"_blank\" onclick=\"alert(1)\">x</a>", &["target", "alert"]),
            ("<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">", &["<meta", "evil"]),
            ("<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">", &["<link", "evil"]),
            ("<base href=\"https://evil.example/\">", &["<base", "evil"]),
            ("<img name=\"getElementById\" src=\"x\"><form name=\"cookie\"></form>", &["name=", "<form"]),
            (
                "<picture><source srcset=\"https://ok.example/a.png, data:image/png;base64,AAAA 2x\"><img src=\"b.png\"></picture>",
                &["srcset", "data:"],
            ),
            ("<a href=\"x\">Inline <script>alert(1)</script> and <noscript><img src=x onerror=alert(2)></noscript></a>", &["<script", "<noscript", "alert"]),
        ];
        for (payload, forbidden) in cases {
            let html = render(payload).to_ascii_lowercase();
            for bad in *forbidden {
                assert!(!html.contains(bad), "{payload} → {html} has {bad}");
            }
            assert!(!html.contains(" on"), "{payload} → {html} has a handler");
        }
        let html = render("<form><input type=\"text\" name=\"q\"></form>");
        assert!(
            html.contains("<input ") && html.contains(" type=\"checkbox\"") && html.contains(" disabled=\"\""),
            "{html}"
        );
    }

    #[test]
    fn ids_are_prefixed_and_footnotes_link_to_them() {
        let html = render("<h2 id=\"install\">Install</h2>\n\n<a id=\"main\"></a>\n");
        assert!(html.contains("<h3 id=\"user-content-install\">Install</h3>"), "{html}");
        assert!(html.contains("<a id=\"user-content-main\""), "{html}");
        let html = render("Text[^note] and[^other].\n\n[^other]: Other.\n[^note]: The note.\n");
        assert!(
            html.contains("<sup><a href=\"#user-content-fn-1\" rel=\"nofollow noopener noreferrer ugc\">1</a></sup>"),
            "{html}"
        );
        assert!(html.contains("<a href=\"#user-content-fn-2\""), "{html}");
        assert!(
            html.contains("<ol start=\"2\"><li id=\"user-content-fn-2\">\n<p>Other.</p>"),
            "{html}"
        );
        assert!(
            html.contains("<ol start=\"1\"><li id=\"user-content-fn-1\">\n<p>The note.</p>"),
            "{html}"
        );
    }

    #[test]
    fn raw_headings_move_down_too() {
        let html = render("<h1 align=\"center\">Logo</h1>\n\n<H5>five</H5> <h6>six</h6>\n\n# Title\n");
        assert!(html.contains("<h2 align=\"center\">Logo</h2>"), "{html}");
        assert!(html.contains("<h6>five</h6>"), "{html}");
        assert!(html.contains("<h6>six</h6>"), "{html}");
        assert!(html.contains("<h2 id=\"user-content-title\">Title</h2>"), "{html}");
        assert!(!html.contains("<h1"), "{html}");
        // Stray `<` and `</` at the ends of raw HTML are left alone.
        let html = render("<div>\nx <\n</div>\n\n<div>\n</\n\nok <\n");
        assert!(html.contains("x &lt;") && html.contains("ok &lt;"), "{html}");
    }

    #[test]
    fn headings_get_github_ids_and_tables_of_contents_work() {
        let md = "- [Install it](#install-it)\n\n# Install it\n\n## `trove` & more!\n\n## Install it\n\n```\nx\n```\n";
        let html = render(md);
        assert!(html.contains("<a href=\"#user-content-install-it\""), "{html}");
        assert!(
            html.contains("<h2 id=\"user-content-install-it\">Install it</h2>"),
            "{html}"
        );
        assert!(html.contains("<h3 id=\"user-content-trove--more\">"), "{html}");
        assert!(
            html.contains("<h3 id=\"user-content-install-it-1\">Install it</h3>"),
            "{html}"
        );
        assert!(html.contains("<pre tabindex=\"0\"><code>x\n</code></pre>"), "{html}");
        // A raw tabindex or label is not the README's to choose.
        let html = render("<pre tabindex=\"5\">x</pre>\n\n<input type=\"checkbox\" aria-label=\"Click me\">\n");
        assert!(html.contains("<pre tabindex=\"0\">"), "{html}");
        assert!(!html.contains("Click me"), "{html}");
    }

    #[test]
    fn task_lists_and_pictures() {
        let html = render("- [x] done\n- [ ] todo\n");
        assert!(
            html.contains("<li><input type=\"checkbox\" disabled=\"\" checked=\"\" aria-label=\"Done\"> done</li>"),
            "{html}"
        );
        assert!(
            html.contains("<li><input type=\"checkbox\" disabled=\"\" aria-label=\"Not done\"> todo</li>"),
            "{html}"
        );
        let html = render(
            "<picture>\n<source media=\"(prefers-color-scheme: dark)\" srcset=\"https://x.example/dark.png 1x, dark@2x.png 2x\">\n\
             <img src=\"https://x.example/light.png\" alt=\"Logo\">\n</picture>\n",
        );
        assert!(
            html.contains("<source media=\"(prefers-color-scheme: dark)\" srcset=\"https://x.example/dark.png 1x, dark@2x.png 2x\">"),
            "{html}"
        );
        assert!(
            html.contains("<img src=\"https://x.example/light.png\" alt=\"Logo\">"),
            "{html}"
        );
    }

    #[test]
    fn safe_markup_is_kept() {
        let md = "<kbd>Ctrl</kbd> <sup>1</sup> <sub>2</sub> <s>old</s> <del>gone</del> <b>b</b> <i>i</i>\n\n\
                  <dl><dt>term</dt><dd>definition</dd></dl>\n\n<ol start=\"3\"><li>three</li></ol>\n\n\
                  <blockquote>quoted<br>line</blockquote>\n\n<pre><code>code</code></pre>\n\n<hr>\n";
        let html = render(md);
        for kept in [
            "<kbd>Ctrl</kbd>",
            "<sup>1</sup>",
            "<sub>2</sub>",
            "<s>old</s>",
            "<del>gone</del>",
            "<b>b</b>",
            "<i>i</i>",
            "<dl><dt>term</dt><dd>definition</dd></dl>",
            "<ol start=\"3\"><li>three</li></ol>",
            "<blockquote>quoted<br>line</blockquote>",
            "<pre tabindex=\"0\"><code>code</code></pre>",
            "<hr>",
        ] {
            assert!(html.contains(kept), "{kept}: {html}");
        }
    }
}
