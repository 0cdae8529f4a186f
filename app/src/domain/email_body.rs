//! An email's body as Notify sends it: the template's Markdown subset,
//! with its personalisation filled in, as HTML and as plain text.
//!
//! The subset (Notify's formatting guide): `#` headings, bullets (`*`, `-`,
//! `•`), numbered lists (`1.`), inset text (`^`), a horizontal rule (`---`),
//! links (`[text](https://…)` and bare `https://…`), paragraphs separated
//! by a blank line and line breaks within them. A backslash before a
//! Markdown character makes it literal (what `sanitise_content_for` adds).
//!
//! Everything else is text: every `<`, `>`, `&` and quote is escaped, so a
//! value can never add markup; the only tags in the HTML are the ones this
//! module writes, and a link's address is only ever `http:`, `https:` or
//! `mailto:` (property tests below).

/// One block of the body.
#[derive(Debug, PartialEq)]
enum Block {
    Heading(String),
    Paragraph(Vec<String>),
    Inset(Vec<String>),
    Bullets(Vec<String>),
    Numbered(Vec<String>),
    Rule,
}

fn bullet(line: &str) -> Option<&str> {
    ["* ", "- ", "• "].iter().find_map(|p| line.strip_prefix(p)).map(str::trim_start)
}

fn numbered(line: &str) -> Option<&str> {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    (digits > 0 && digits <= 9).then(|| line[digits..].strip_prefix(". ")).flatten().map(str::trim_start)
}

fn heading(line: &str) -> Option<&str> {
    line.strip_prefix("# ").or_else(|| line.strip_prefix("## ")).map(str::trim)
}

fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3 && (t.chars().all(|c| c == '-') || t.chars().all(|c| c == '*'))
}

fn blocks(body: &str) -> Vec<Block> {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    let mut out: Vec<Block> = Vec::new();
    // Whether the last block may take the next line (no blank line between).
    let mut open = false;
    for raw in body.split('\n') {
        let line = raw.trim_end();
        if line.trim().is_empty() {
            open = false;
            continue;
        }
        let line = line.trim_start();
        if is_rule(line) {
            out.push(Block::Rule);
            open = false;
        } else if let Some(text) = heading(line) {
            out.push(Block::Heading(text.to_string()));
            open = false;
        } else if let Some(item) = bullet(line) {
            match out.last_mut() {
                Some(Block::Bullets(items)) if open => items.push(item.to_string()),
                _ => out.push(Block::Bullets(vec![item.to_string()])),
            }
            open = true;
        } else if let Some(item) = numbered(line) {
            match out.last_mut() {
                Some(Block::Numbered(items)) if open => items.push(item.to_string()),
                _ => out.push(Block::Numbered(vec![item.to_string()])),
            }
            open = true;
        } else if let Some(text) = line.strip_prefix('^') {
            match out.last_mut() {
                Some(Block::Inset(lines)) if open => lines.push(text.trim().to_string()),
                _ => out.push(Block::Inset(vec![text.trim().to_string()])),
            }
            open = true;
        } else {
            match out.last_mut() {
                Some(Block::Paragraph(lines) | Block::Inset(lines)) if open => lines.push(line.to_string()),
                _ => out.push(Block::Paragraph(vec![line.to_string()])),
            }
            open = true;
        }
    }
    out
}

/// A piece of a line: text, or a link.
#[derive(Debug, PartialEq)]
enum Inline {
    Text(String),
    Link { text: String, href: String },
}

/// The characters a backslash makes literal.
fn is_markdown_punctuation(c: char) -> bool {
    "\\`*_{}[]()#+-.!^>~|:".contains(c)
}

fn is_address(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && url.len() > 8
        || lower.starts_with("mailto:") && url.len() > 7
}

/// A bare address at `chars[i..]`: its length in characters.
fn bare_address(chars: &[char], i: usize) -> Option<usize> {
    let rest: String = chars[i..].iter().take(8).collect::<String>().to_ascii_lowercase();
    if !(rest.starts_with("https://") || rest.starts_with("http://")) {
        return None;
    }
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '\\') {
        return None;
    }
    let mut end = i;
    while end < chars.len() && !chars[end].is_whitespace() && !"<>\"".contains(chars[end]) {
        end += 1;
    }
    // Punctuation that ends a sentence is not part of the address.
    while end > i && ".,;:!?)'".contains(chars[end - 1]) {
        end -= 1;
    }
    let len = end - i;
    let scheme = if rest.starts_with("https://") { 8 } else { 7 };
    (len > scheme).then_some(len)
}

/// `[text](address)` at `chars[i..]`: (text, address, length).
fn markdown_link(chars: &[char], i: usize) -> Option<(String, String, usize)> {
    if chars.get(i) != Some(&'[') {
        return None;
    }
    let close = (i + 1..chars.len()).find(|&j| chars[j] == ']' && chars[j - 1] != '\\')?;
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let end = (close + 2..chars.len()).find(|&j| chars[j] == ')')?;
    let text: String = chars[i + 1..close].iter().collect();
    let href: String = chars[close + 2..end].iter().collect();
    let href = href.trim();
    if text.trim().is_empty() || href.chars().any(char::is_whitespace) || !is_address(href) {
        return None;
    }
    Some((unescape(&text), href.to_string(), end + 1 - i))
}

/// Backslash escapes removed (`\*` is `*`).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&next)) if is_markdown_punctuation(next) => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

fn inlines(line: &str) -> Vec<Inline> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && chars.get(i + 1).is_some_and(|&n| is_markdown_punctuation(n)) {
            text.push(chars[i + 1]);
            i += 2;
        } else if let Some((link_text, href, len)) = markdown_link(&chars, i) {
            out.push(Inline::Text(std::mem::take(&mut text)));
            out.push(Inline::Link { text: link_text, href });
            i += len;
        } else if let Some(len) = bare_address(&chars, i) {
            let href: String = chars[i..i + len].iter().collect();
            out.push(Inline::Text(std::mem::take(&mut text)));
            out.push(Inline::Link { text: href.clone(), href });
            i += len;
        } else {
            text.push(c);
            i += 1;
        }
    }
    out.push(Inline::Text(text));
    out.retain(|piece| !matches!(piece, Inline::Text(t) if t.is_empty()));
    out
}

/// Text made safe inside HTML elements and double-quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const LINK: &str = "color: #1d70b8; text-decoration: underline;";
const TEXT: &str = "font-size: 19px; line-height: 25px; color: #0b0c0c;";

fn line_html(line: &str) -> String {
    inlines(line)
        .into_iter()
        .map(|piece| match piece {
            Inline::Text(t) => escape_html(&t),
            Inline::Link { text, href } => {
                format!("<a style=\"{LINK}\" href=\"{}\">{}</a>", escape_html(&href), escape_html(&text))
            }
        })
        .collect()
}

fn lines_html(lines: &[String]) -> String {
    lines.iter().map(|l| line_html(l)).collect::<Vec<_>>().join("<br>")
}

/// The body as the HTML part's content (without the document around it).
pub fn html(body: &str) -> String {
    let mut out = String::new();
    for block in blocks(body) {
        match block {
            Block::Heading(text) => out.push_str(&format!(
                "<h2 style=\"margin: 0 0 15px 0; padding: 10px 0 0 0; font-size: 27px; line-height: 35px; font-weight: bold; color: #0b0c0c;\">{}</h2>",
                line_html(&text)
            )),
            Block::Paragraph(lines) => {
                out.push_str(&format!("<p style=\"margin: 0 0 20px 0; {TEXT}\">{}</p>", lines_html(&lines)))
            }
            Block::Inset(lines) => out.push_str(&format!(
                "<blockquote style=\"margin: 0 0 20px 0; border-left: 10px solid #b1b4b6; padding: 15px 0 0.1px 15px; {TEXT}\"><p style=\"margin: 0 0 20px 0; {TEXT}\">{}</p></blockquote>",
                lines_html(&lines)
            )),
            Block::Bullets(items) => list_html(&mut out, "ul", "disc", &items),
            Block::Numbered(items) => list_html(&mut out, "ol", "decimal", &items),
            Block::Rule => out.push_str(
                "<hr style=\"border: 0; height: 1px; background: #b1b4b6; margin: 30px 0 30px 0;\">",
            ),
        }
    }
    out
}

fn list_html(out: &mut String, tag: &str, style: &str, items: &[String]) {
    out.push_str(&format!("<{tag} style=\"margin: 0 0 20px 0; padding: 0 0 0 20px; list-style-type: {style};\">"));
    for item in items {
        out.push_str(&format!("<li style=\"margin: 5px 0 5px 0; {TEXT}\">{}</li>", line_html(item)));
    }
    out.push_str(&format!("</{tag}>"));
}

/// The whole HTML part: a document with the subject as its title, the
/// service's name above the body, in GOV.UK's type and colours.
pub fn html_document(service_name: &str, subject: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title></head>\
         <body style=\"margin: 0; padding: 0; font-family: Helvetica, Arial, sans-serif; background: #ffffff;\">\
         <div style=\"max-width: 580px; margin: 0 auto; padding: 20px 10px 10px 10px;\">\
         <p style=\"margin: 0 0 20px 0; font-size: 16px; line-height: 20px; color: #505a5f;\">{}</p>\
         {}</div></body></html>\n",
        escape_html(subject),
        escape_html(service_name),
        html(body)
    )
}

/// The plain-text part: the same blocks without Markdown's marks, a link
/// as its text then its address.
pub fn plain_text(body: &str) -> String {
    let line = |l: &str| -> String {
        inlines(l)
            .into_iter()
            .map(|piece| match piece {
                Inline::Text(t) => t,
                Inline::Link { text, href } if text == href => href,
                Inline::Link { text, href } => format!("{text} ({href})"),
            })
            .collect()
    };
    let mut parts: Vec<String> = Vec::new();
    for block in blocks(body) {
        parts.push(match block {
            Block::Heading(text) => {
                let text = line(&text);
                let rule = "-".repeat(text.chars().count().clamp(3, 60));
                format!("{text}\n{rule}")
            }
            Block::Paragraph(lines) => lines.iter().map(|l| line(l)).collect::<Vec<_>>().join("\n"),
            Block::Inset(lines) => lines.iter().map(|l| format!("  {}", line(l))).collect::<Vec<_>>().join("\n"),
            Block::Bullets(items) => items.iter().map(|i| format!("• {}", line(i))).collect::<Vec<_>>().join("\n"),
            Block::Numbered(items) => {
                items.iter().enumerate().map(|(n, i)| format!("{}. {}", n + 1, line(i))).collect::<Vec<_>>().join("\n")
            }
            Block::Rule => "=".repeat(40),
        });
    }
    let mut text = parts.join("\n\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every tag in `html` with its attributes, or why it is not one this
    /// module writes.
    fn check_markup(html: &str) -> Result<(), String> {
        const TAGS: [&str; 11] = ["p", "h2", "ul", "ol", "li", "br", "hr", "blockquote", "a", "/", ""];
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            let after = &rest[start + 1..];
            let end = after.find('>').ok_or_else(|| format!("a '<' that opens nothing: {after:?}"))?;
            let tag = &after[..end];
            if tag.contains('<') {
                return Err(format!("a '<' inside a tag: {tag:?}"));
            }
            let name = tag.trim_start_matches('/').split(' ').next().unwrap_or_default();
            if !TAGS[..9].contains(&name) {
                return Err(format!("a tag this module never writes: {tag:?}"));
            }
            // Attributes: style="…" (ours) and href="…" (http, https, mailto).
            let mut attrs = tag.trim_start_matches('/')[name.len()..].trim();
            while !attrs.is_empty() {
                let (key, value) =
                    attrs.split_once("=\"").ok_or_else(|| format!("an attribute without quotes: {tag:?}"))?;
                let close = value.find('"').ok_or_else(|| format!("an attribute left open: {tag:?}"))?;
                let v = &value[..close];
                match key {
                    "style" if !v.contains(['<', '>', '&']) => {}
                    "href"
                        if ["http://", "https://", "mailto:"].iter().any(|s| v.to_ascii_lowercase().starts_with(s)) => {
                    }
                    _ => return Err(format!("an attribute this module never writes: {key}={v:?}")),
                }
                attrs = value[close + 1..].trim();
            }
            rest = &after[end + 1..];
        }
        if rest.contains('>')
            || html.split('<').any(|piece| piece.split_once('>').is_some_and(|(_, t)| t.contains('>')))
        {
            return Err("a '>' outside a tag".into());
        }
        Ok(())
    }

    /// The text the HTML shows, tags removed and entities read.
    fn shown_text(html: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    fn markdown_soup() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "# ",
            "## ",
            "* ",
            "- ",
            "• ",
            "1. ",
            "^ ",
            "---",
            "\n",
            "\n\n",
            "[",
            "]",
            "(",
            ")",
            "https://",
            "http://",
            "mailto:",
            "javascript:",
            "<",
            ">",
            "&",
            "\"",
            "'",
            "\\",
            "<script>",
            "</p>",
            "example.com",
            " ",
            "text",
            "onclick=",
            "=",
            "\r\n",
            "`",
            "*",
            "_",
        ]);
        prop::collection::vec(prop_oneof![pieces.prop_map(str::to_string), any::<String>()], 0..40)
            .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn any_body_makes_only_this_modules_markup(body in markdown_soup()) {
            let out = html(&body);
            let checked = check_markup(&out);
            prop_assert!(checked.is_ok(), "{:?} in {}", checked, out);
        }

        #[test]
        fn a_value_with_markup_shows_as_text(value in any::<String>()) {
            // A value with no Markdown marks or addresses shows exactly as
            // typed, angle brackets and all.
            let value: String = value.chars().filter(|c| !"\\`*_{}[]()#+-.!^>~|:\r\n•".contains(*c) && !c.is_control()).collect();
            prop_assume!(!value.trim().is_empty());
            let out = html(&format!("Dear {value}"));
            prop_assert!(check_markup(&out).is_ok());
            prop_assert_eq!(shown_text(&out), format!("Dear {}", value.trim_end()));
        }

        #[test]
        fn the_document_escapes_the_subject_and_service_name(subject in any::<String>(), name in any::<String>()) {
            let doc = html_document(&name, &subject, "Hello");
            let title = format!("<title>{}</title>", escape_html(&subject));
            prop_assert!(doc.contains(&title));
            let body = &doc[doc.find("<body").unwrap()..];
            prop_assert!(check_markup(&body.replace("<body", "<p").replace("</body>", "</p>").replace("<div", "<p").replace("</div>", "</p>").replace("</html>", "")).is_ok());
        }
    }

    #[test]
    fn notifys_formatting() {
        let body = "# Your appointment\n\nDear Sam,\nsee you soon.\n\n* bring this letter\n* bring ID\n\n1. arrive\n2. sign in\n\n^ Call us if you cannot come.\n\n---\n\nMore at https://example.gov.uk/visit. Or [read this](https://example.gov.uk/a?b=1&c=2).";
        let out = html(body);
        assert!(out.starts_with("<h2 "), "{out}");
        assert!(out.contains(">Your appointment</h2>"));
        assert!(out.contains(">Dear Sam,<br>see you soon.</p>"));
        assert!(out.contains("list-style-type: disc;\"><li"));
        assert_eq!(out.matches("<li ").count(), 4);
        assert!(out.contains("list-style-type: decimal;"));
        assert!(out.contains("<blockquote "));
        assert!(out.contains(">Call us if you cannot come.</p></blockquote>"));
        assert!(out.contains("<hr "));
        assert!(out.contains("href=\"https://example.gov.uk/visit\">https://example.gov.uk/visit</a>."));
        assert!(out.contains("href=\"https://example.gov.uk/a?b=1&amp;c=2\">read this</a>"));
        assert_eq!(check_markup(&out), Ok(()));

        let text = plain_text(body);
        assert!(text.starts_with("Your appointment\n----------------\n\nDear Sam,\nsee you soon.\n\n• bring this letter\n• bring ID\n\n1. arrive\n2. sign in\n\n  Call us if you cannot come.\n\n"), "{text}");
        assert!(text.contains("More at https://example.gov.uk/visit. Or read this (https://example.gov.uk/a?b=1&c=2)."));
    }

    #[test]
    fn backslashes_make_marks_literal_and_scripts_stay_text() {
        let out = html("\\# not a heading \\* \\[x\\](https://evil.example) <script>alert(1)</script>");
        assert_eq!(check_markup(&out), Ok(()));
        assert!(!out.contains("<h2"));
        // The brackets stay text; the address itself is linked, as every
        // bare address is (what `sanitise_content_for` breaks up).
        assert!(!out.contains(">x</a>"), "{out}");
        assert!(out.contains("# not a heading * [x](<a "), "{out}");
        assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{out}");
    }

    #[test]
    fn only_web_and_mail_addresses_become_links() {
        for body in ["[click](javascript:alert(1))", "[click](data:text/html,x)", "[click](//evil.example)"] {
            let out = html(body);
            assert!(!out.contains("<a "), "{body}: {out}");
        }
        // A link needs text: the address alone is linked.
        assert!(html("[ ](https://x.example)").contains(">https://x.example</a>)"));
        assert!(html("[write](mailto:help@example.gov.uk)").contains("href=\"mailto:help@example.gov.uk\""));
    }
}
