//! The documentation's Markdown as GOV.UK Frontend HTML: headings with ids
//! (for links to a section), paragraphs, lists, tables, inset text (`> `),
//! code, and links styled as GOV.UK links. Raw HTML in the Markdown is
//! shown as text, never passed through: every character of text is escaped.

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// The HTML of `markdown`, and its headings of level 2 (`(id, text)`), for
/// the page's contents list.
pub fn to_html(markdown: &str) -> (String, Vec<(String, String)>) {
    let mut out = String::with_capacity(markdown.len() * 2);
    let mut headings = Vec::new();
    // The heading being read: its level and its text so far.
    let mut heading: Option<(HeadingLevel, String, usize)> = None;
    let mut in_table_head = false;
    let mut list_stack: Vec<bool> = Vec::new();
    let mut in_code_block = false;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                // The opening tag is written at the end, when the id is known.
                heading = Some((level, String::new(), out.len()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text, at)) = heading.take() {
                    let (tag, class) = match level {
                        HeadingLevel::H1 => ("h1", "govuk-heading-xl"),
                        HeadingLevel::H2 => ("h2", "govuk-heading-l"),
                        HeadingLevel::H3 => ("h3", "govuk-heading-m"),
                        _ => ("h4", "govuk-heading-s"),
                    };
                    let id = slug(&text);
                    let inner = out.split_off(at);
                    out.push_str(&format!("<{tag} class=\"{class}\" id=\"{id}\">{inner}</{tag}>\n"));
                    if level == HeadingLevel::H2 {
                        headings.push((id, text));
                    }
                }
            }
            Event::Start(Tag::Paragraph) => out.push_str("<p class=\"govuk-body\">"),
            Event::End(TagEnd::Paragraph) => out.push_str("</p>\n"),
            Event::Start(Tag::BlockQuote(_)) => out.push_str("<div class=\"govuk-inset-text\">"),
            Event::End(TagEnd::BlockQuote(_)) => out.push_str("</div>\n"),
            Event::Start(Tag::List(first)) => {
                list_stack.push(first.is_some());
                out.push_str(if first.is_some() {
                    "<ol class=\"govuk-list govuk-list--number\">"
                } else {
                    "<ul class=\"govuk-list govuk-list--bullet\">"
                });
            }
            Event::End(TagEnd::List(_)) => {
                out.push_str(if list_stack.pop().unwrap_or(false) { "</ol>\n" } else { "</ul>\n" });
            }
            Event::Start(Tag::Item) => out.push_str("<li>"),
            Event::End(TagEnd::Item) => out.push_str("</li>\n"),
            Event::Start(Tag::CodeBlock(kind)) => {
                in_code_block = true;
                let language = match kind {
                    CodeBlockKind::Fenced(lang) if !lang.is_empty() => format!(" data-language=\"{}\"", escape(&lang)),
                    _ => String::new(),
                };
                out.push_str(&format!("<pre class=\"notify-code\" tabindex=\"0\"{language}><code>"));
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                out.push_str("</code></pre>\n");
            }
            Event::Start(Tag::Table(alignments)) => {
                let _: Vec<Alignment> = alignments;
                out.push_str("<table class=\"govuk-table\">");
            }
            Event::End(TagEnd::Table) => out.push_str("</tbody></table>\n"),
            Event::Start(Tag::TableHead) => {
                in_table_head = true;
                out.push_str("<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
            }
            Event::End(TagEnd::TableHead) => {
                in_table_head = false;
                out.push_str("</tr></thead><tbody class=\"govuk-table__body\">");
            }
            Event::Start(Tag::TableRow) => out.push_str("<tr class=\"govuk-table__row\">"),
            Event::End(TagEnd::TableRow) => out.push_str("</tr>"),
            Event::Start(Tag::TableCell) => out.push_str(if in_table_head {
                "<th scope=\"col\" class=\"govuk-table__header\">"
            } else {
                "<td class=\"govuk-table__cell\">"
            }),
            Event::End(TagEnd::TableCell) => out.push_str(if in_table_head { "</th>" } else { "</td>" }),
            Event::Start(Tag::Emphasis) => out.push_str("<em>"),
            Event::End(TagEnd::Emphasis) => out.push_str("</em>"),
            Event::Start(Tag::Strong) => out.push_str("<strong>"),
            Event::End(TagEnd::Strong) => out.push_str("</strong>"),
            Event::Start(Tag::Link { dest_url, .. }) => {
                out.push_str(&format!("<a class=\"govuk-link\" href=\"{}\">", escape(&dest_url)));
            }
            Event::End(TagEnd::Link) => out.push_str("</a>"),
            Event::Text(text) => {
                if let Some((_, heading_text, _)) = heading.as_mut() {
                    heading_text.push_str(&text);
                }
                out.push_str(&escape(&text));
            }
            Event::Code(code) => {
                if let Some((_, heading_text, _)) = heading.as_mut() {
                    heading_text.push_str(&code);
                }
                out.push_str(&format!("<code>{}</code>", escape(&code)));
            }
            Event::Html(html) | Event::InlineHtml(html) => out.push_str(&escape(&html)),
            Event::SoftBreak => out.push(if in_code_block { '\n' } else { ' ' }),
            Event::HardBreak => out.push_str("<br>"),
            Event::Rule => {
                out.push_str("<hr class=\"govuk-section-break govuk-section-break--l govuk-section-break--visible\">\n")
            }
            _ => {}
        }
    }
    (out, headings)
}

/// An id for a heading: lower case letters, digits and hyphens.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Text as HTML text or an attribute value (as emails' bodies escape it).
pub fn escape(text: &str) -> String {
    app::domain::email_body::escape_html(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn headings_get_ids_and_govuk_classes() {
        let (html, headings) = to_html("## Send an `email`\n\nHello *you*.\n\n- one\n- two\n");
        assert!(html.contains("<h2 class=\"govuk-heading-l\" id=\"send-an-email\">Send an <code>email</code></h2>"));
        assert!(html.contains("<p class=\"govuk-body\">Hello <em>you</em>.</p>"));
        assert!(html.contains("<ul class=\"govuk-list govuk-list--bullet\"><li>one</li>"));
        assert_eq!(headings, vec![("send-an-email".to_string(), "Send an email".to_string())]);
    }

    #[test]
    fn tables_and_code_blocks() {
        let (html, _) = to_html("| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1 < 2\n```\n");
        assert!(html.contains("<th scope=\"col\" class=\"govuk-table__header\">a</th>"));
        assert!(html.contains("<td class=\"govuk-table__cell\">2</td>"));
        assert!(html.contains(
            "<pre class=\"notify-code\" tabindex=\"0\" data-language=\"python\"><code>x = 1 &lt; 2\n</code></pre>"
        ));
    }

    proptest! {
        /// Whatever the Markdown, no tag but ours comes out: raw HTML and
        /// text are escaped.
        #[test]
        fn no_markup_passes_through(text in "[<>a-z\"' =/&!\\-`*#\n]{0,200}") {
            let (html, _) = to_html(&text);
            prop_assert!(!html.contains("<script"));
            prop_assert!(!html.contains("<a "), "only links we write: {html}");
            for (i, _) in html.match_indices('<') {
                let rest = &html[i + 1..];
                let name: String = rest.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                prop_assert!(
                    ["h1","h2","h3","h4","p","div","ol","ul","li","pre","code","table","thead","tbody","tr","th","td","em","strong","a","br","hr"].contains(&name.as_str()),
                    "an unexpected tag {name} in {html}"
                );
            }
        }

        #[test]
        fn slugs_are_safe_ids(text in ".{0,80}") {
            let s = slug(&text);
            prop_assert!(s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            prop_assert!(!s.starts_with('-') && !s.ends_with('-'));
        }
    }
}
