//! The documentation served at `/documentation`: Markdown pages written in
//! `docs/pages/`, code examples from `docs/examples/` (each run by a test
//! against the server: `compat/run.sh` and `tests/documentation.rs`), and
//! the endpoint reference, made from the OpenAPI description so that it says
//! what the handlers do.

pub mod markdown;
mod reference;

use std::sync::OnceLock;

/// A page of the documentation.
pub struct Section {
    pub slug: &'static str,
    pub title: &'static str,
    markdown: &'static str,
}

/// The pages, in the order of the navigation.
pub const SECTIONS: &[Section] = &[
    Section { slug: "", title: "Overview", markdown: include_str!("../../../docs/pages/index.md") },
    Section { slug: "rest-api", title: "REST API", markdown: include_str!("../../../docs/pages/rest-api.md") },
    Section {
        slug: "clients",
        title: "Python and Node clients",
        markdown: include_str!("../../../docs/pages/clients.md"),
    },
    Section {
        slug: "bulk",
        title: "Sending a list of messages",
        markdown: include_str!("../../../docs/pages/bulk.md"),
    },
    Section { slug: "callbacks", title: "Callbacks", markdown: include_str!("../../../docs/pages/callbacks.md") },
    Section { slug: "api-keys", title: "API keys", markdown: include_str!("../../../docs/pages/api-keys.md") },
    Section { slug: "statuses", title: "Message statuses", markdown: include_str!("../../../docs/pages/statuses.md") },
    Section { slug: "limits", title: "Limits", markdown: include_str!("../../../docs/pages/limits.md") },
    Section { slug: "testing", title: "Testing", markdown: include_str!("../../../docs/pages/testing.md") },
];

/// The examples a page may include with a line `{{example path}}`: each is
/// a file a test runs.
const EXAMPLES: &[(&str, &str)] = &[
    ("python/send_email.py", include_str!("../../../docs/examples/python/send_email.py")),
    ("python/send_sms.py", include_str!("../../../docs/examples/python/send_sms.py")),
    ("python/send_letter.py", include_str!("../../../docs/examples/python/send_letter.py")),
    ("python/get_status.py", include_str!("../../../docs/examples/python/get_status.py")),
    ("python/send_bulk.py", include_str!("../../../docs/examples/python/send_bulk.py")),
    ("python/verify_callback.py", include_str!("../../../docs/examples/python/verify_callback.py")),
    ("node/send_email.mjs", include_str!("../../../docs/examples/node/send_email.mjs")),
    ("node/send_sms.mjs", include_str!("../../../docs/examples/node/send_sms.mjs")),
    ("node/send_letter.mjs", include_str!("../../../docs/examples/node/send_letter.mjs")),
    ("node/get_status.mjs", include_str!("../../../docs/examples/node/get_status.mjs")),
    ("node/send_bulk.mjs", include_str!("../../../docs/examples/node/send_bulk.mjs")),
    ("node/verify_callback.mjs", include_str!("../../../docs/examples/node/verify_callback.mjs")),
];

/// A page as it is shown: its HTML and its contents (level-2 headings).
pub struct Rendered {
    pub slug: &'static str,
    pub title: &'static str,
    pub html: String,
    pub contents: Vec<(String, String)>,
}

/// The page at `slug` (`""` for the overview), made once.
pub fn page(slug: &str) -> Option<&'static Rendered> {
    static PAGES: OnceLock<Vec<Rendered>> = OnceLock::new();
    PAGES.get_or_init(|| SECTIONS.iter().map(render).collect()).iter().find(|p| p.slug == slug)
}

fn render(section: &Section) -> Rendered {
    let mut markdown = String::new();
    for line in section.markdown.lines() {
        if let Some(name) = line.strip_prefix("{{example ").and_then(|l| l.strip_suffix("}}")) {
            let (_, code) = EXAMPLES.iter().find(|(n, _)| *n == name).unwrap_or(&("", "(missing example)"));
            let language = if name.ends_with(".py") { "python" } else { "javascript" };
            markdown.push_str(&format!("```{language}\n{}```\n", code.trim_end().to_string() + "\n"));
        } else if line == "{{endpoints}}" {
            markdown.push_str(&reference::endpoints(&crate::api_v2::description()));
        } else {
            markdown.push_str(line);
            markdown.push('\n');
        }
    }
    let (html, contents) = markdown::to_html(&markdown);
    Rendered { slug: section.slug, title: section.title, html, contents }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_renders_and_every_example_line_names_an_example() {
        for section in SECTIONS {
            for line in section.markdown.lines() {
                if let Some(name) = line.strip_prefix("{{example ").and_then(|l| l.strip_suffix("}}")) {
                    assert!(EXAMPLES.iter().any(|(n, _)| *n == name), "{}: no example {name}", section.slug);
                }
            }
            let page = page(section.slug).unwrap();
            assert!(page.html.contains("<h1 class=\"govuk-heading-xl\""), "{} has no title", section.slug);
            assert!(!page.html.contains("(missing example)"));
        }
    }

    #[test]
    fn the_rest_api_page_has_a_table_for_every_operation() {
        let page = page("rest-api").unwrap();
        let description = serde_json::to_value(crate::api_v2::description()).unwrap();
        for (path, item) in description["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let summary = op["summary"].as_str().unwrap();
                assert!(page.html.contains(&markdown::escape(summary)), "no section for {method} {path}");
                assert!(page.html.contains(&format!(
                    "<code>{} {}</code>",
                    method.to_uppercase(),
                    markdown::escape(path)
                )));
                for status in op["responses"].as_object().unwrap().keys() {
                    assert!(page.html.contains(&format!("<td class=\"govuk-table__cell\">{status}</td>")));
                }
            }
        }
    }
}
