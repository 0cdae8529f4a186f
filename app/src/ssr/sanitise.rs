//! `sanitise_content_for`: Notify escapes Markdown in the personalisation
//! fields an email names, so a value cannot add links, headings or bullets
//! to the message. Links are removed, except text that only looks like a
//! domain by accident (`Marie.Curie`), whose dots are broken up; then every
//! Markdown character is escaped with a backslash. The 201 reports, per
//! field that changed, the value before and after (`sanitised_content`).

use fancy_regex::Regex;
use std::sync::OnceLock;

/// Notify's link pattern (notifications-utils' `formatters.url`): an optional
/// scheme, one or more (sub)domain labels and a top-level domain, not
/// preceded by `@` or `.` nor followed by `@`, then any path, query or
/// fragment up to whitespace or `<`.
fn link() -> &'static Regex {
    static LINK: OnceLock<Regex> = OnceLock::new();
    LINK.get_or_init(|| {
        Regex::new(r"(?i)\b(?<![@.])(https?://)?([\w\-]+\.)+([a-z]{2,63})(?!@)\b([/?#][^<\s]*)?")
            .expect("the link pattern compiles")
    })
}

/// Notify's `_could_be_accidental_link`: letters, digits, dots and hyphens only.
fn could_be_accidental(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// The characters Notify escapes.
const MARKDOWN: &str = "`*_()\\{}[]<>#+-.!|";

/// One value, sanitised as Notify does.
pub fn sanitise(value: &str) -> String {
    let mut unlinked = String::with_capacity(value.len());
    let mut last = 0;
    // `find_iter` yields errors only when backtracking runs out of budget; a
    // value that hard to match is left as it is (still escaped below).
    for m in link().find_iter(value).flatten() {
        unlinked.push_str(&value[last..m.start()]);
        if could_be_accidental(m.as_str()) {
            unlinked.push_str(&m.as_str().replace('.', ". "));
        }
        last = m.end();
    }
    unlinked.push_str(&value[last..]);
    let mut out = String::with_capacity(unlinked.len() + 16);
    for c in unlinked.chars() {
        if MARKDOWN.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Notify's own examples (notifications-api's tests).
    #[test]
    fn notifys_examples() {
        for (value, expected) in [
            ("Amala, please [click this evil link](https://evil.link)", r"Amala, please \[click this evil link\]\(\)"),
            (
                r"Amala, please [click this (evil link](https://evil.link)",
                r"Amala, please \[click this \(evil link\]\(\)",
            ),
            ("Marie.Curie-Sklodowska is rad", r"Marie\. Curie\-Sklodowska is rad"),
            ("https://evil.link and www.evil.link?arg=nam", " and "),
            ("evil. link and other-evil. lnk", r"evil\. link and other\-evil\. lnk"),
            ("https://evil.link and www.evil.link", r" and www\. evil\. link"),
            ("www.evil.link and https://evil.link", r"www\. evil\. link and "),
            ("foo.bar/baz and https://evil.link/foo.bar/bazpwnme", " and "),
            ("foo.bar/baz and https://localhost/foo.bar/bazsomething/weird", " and https://localhost/"),
            (r"\# Rogue Header", r"\\\# Rogue Header"),
            ("## Rogue Header", r"\#\# Rogue Header"),
            ("# Rogue Header\\\n# Rogue Header", "\\# Rogue Header\\\\\n\\# Rogue Header"),
            (r"\\# Rogue Header", r"\\\\\# Rogue Header"),
            (r"Ulica Ceynowy 5\44", r"Ulica Ceynowy 5\\44"),
            (r"[żądło rządzi tą pszczołą](to-jest-atak.com)", r"\[żądło rządzi tą pszczołą\]\(to\-jest\-atak\. com\)"),
            (r"Ulica Ceynowy 5\\\44", r"Ulica Ceynowy 5\\\\\\44"),
            (r"`*_(){}[]<>#+-.!|", r"\`\*\_\(\)\{\}\[\]\<\>\#\+\-\.\!\|"),
            ("name@example.com", r"name@example\.com"),
            ("plain words", "plain words"),
        ] {
            assert_eq!(sanitise(value), expected, "{value:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn never_panics_and_leaves_no_unescaped_markdown(value in "\\PC{0,120}") {
            let out = sanitise(&value);
            let mut escaped = false;
            for c in out.chars() {
                if !escaped && MARKDOWN.contains(c) {
                    prop_assert_eq!(c, '\\', "an unescaped {:?} in {:?}", c, out);
                    escaped = true;
                } else {
                    escaped = false;
                }
            }
        }

        #[test]
        fn text_without_markdown_or_links_is_unchanged(value in "[a-zA-Z ,']{0,60}") {
            prop_assert_eq!(sanitise(&value), value);
        }
    }
}
