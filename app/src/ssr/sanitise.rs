//! `sanitise_content_for`: Notify escapes Markdown in the personalisation
//! fields an email names, so a value cannot add links, headings or bullets
//! to the message. Links are removed, except text that only looks like a
//! domain by accident (`Marie.Curie`), whose dots are broken up; then every
//! Markdown character is escaped with a backslash. The 201 reports, per
//! field that changed, the value before and after (`sanitised_content`).

/// How many characters a top-level domain may have (Notify's `[a-z]{2,63}`).
const TLD_MAX: usize = 63;

/// `\w` as Python's `re` and the `regex` crate read it (letters, digits,
/// underscore), which also decides where `\b` falls.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A character of a domain label: `[\w\-]`.
fn is_label(c: char) -> bool {
    is_word(c) || c == '-'
}

/// `[a-z]` under `(?i)`: ASCII letters and the two characters that fold to
/// them (long s and the Kelvin sign).
fn is_tld_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '\u{17F}' || c == '\u{212A}'
}

/// Where Notify's link pattern (notifications-utils' `formatters.url`)
/// matches in `text`, leftmost first, as `(start, end)` in characters:
///
/// `(?i)\b(?<![@.])(https?://)?([\w\-]+\.)+([a-z]{2,63})(?!@)\b([/?#][^<\s]*)?`
///
/// found in time linear in the text. A backtracking engine is quadratic (or
/// worse) on long runs of `[\w-]` with no dot; here each label is a maximal
/// run (a label must end at a dot, which it cannot contain), and the greedy
/// choice of how many labels to take, the same for every start inside a
/// domain, is computed once per dot, from the right.
///
/// Memory: the characters and two indices per character, 12 bytes each
/// (values are at most the 4 MiB body, so indices fit in `u32`).
fn links(chars: &[char]) -> Vec<(usize, usize)> {
    const NONE: u32 = u32::MAX;
    let n = chars.len();
    // run_end[i]: the end of the run of label characters that starts at or
    // contains i (i itself when chars[i] is not one).
    let mut run_end = vec![0u32; n + 1];
    run_end[n] = n as u32;
    for i in (0..n).rev() {
        run_end[i] = if is_label(chars[i]) { run_end[i + 1].max(i as u32 + 1) } else { i as u32 };
    }
    let run_end = |i: usize| run_end.get(i).map_or(n, |&e| e as usize);
    // The end of a top-level domain starting at q: 2 to 63 letters, then
    // neither a word character (`\b`) nor `@`.
    let tld_end = |q: usize| -> Option<usize> {
        let mut k = 0;
        while q + k < n && k <= TLD_MAX && is_tld_letter(chars[q + k]) {
            k += 1;
        }
        let next = chars.get(q + k).copied();
        ((2..=TLD_MAX).contains(&k) && !next.is_some_and(|c| is_word(c) || c == '@')).then_some(q + k)
    };
    // after_dot[q], for q just after a dot: where the domain ends when a
    // label starts at q (NONE: it cannot end). Greedy as the pattern is:
    // take this label and more when the rest can end with a top-level
    // domain, else this label is it.
    let mut after_dot = vec![NONE; n + 1];
    for q in (1..=n).rev() {
        if chars[q - 1] != '.' {
            continue;
        }
        let end = run_end(q);
        let more = if end > q && end < n && chars[end] == '.' { after_dot[end + 1] } else { NONE };
        after_dot[q] = if more != NONE {
            more
        } else if q < n {
            tld_end(q).map_or(NONE, |e| e as u32)
        } else {
            NONE
        };
    }
    // One or more labels from q, each followed by a dot, then the rest.
    let domain_from = |q: usize| -> Option<usize> {
        let end = run_end(q);
        (end > q && end < n && chars[end] == '.' && after_dot[end + 1] != NONE).then(|| after_dot[end + 1] as usize)
    };
    let scheme_at = |p: usize| -> Option<usize> {
        let lower = |i: usize| chars.get(p + i).map(|c| c.to_ascii_lowercase());
        if !"http".chars().enumerate().all(|(i, c)| lower(i) == Some(c)) {
            return None;
        }
        let rest = if lower(4) == Some('s') { 5 } else { 4 };
        (lower(rest) == Some(':') && lower(rest + 1) == Some('/') && lower(rest + 2) == Some('/'))
            .then_some(p + rest + 3)
    };
    let mut found = Vec::new();
    let mut p = 0;
    while p < n {
        let before = if p == 0 { None } else { Some(chars[p - 1]) };
        let boundary = before.is_some_and(is_word) != is_word(chars[p]);
        let starts = boundary && !matches!(before, Some('@' | '.'));
        let domain_end = if starts { scheme_at(p).and_then(domain_from).or_else(|| domain_from(p)) } else { None };
        let Some(mut end) = domain_end else {
            p += 1;
            continue;
        };
        if end < n && matches!(chars[end], '/' | '?' | '#') {
            end += 1;
            while end < n && !(chars[end].is_whitespace() || chars[end] == '<') {
                end += 1;
            }
        }
        found.push((p, end));
        p = end;
    }
    found
}

/// Notify's `_could_be_accidental_link`: letters, digits, dots and hyphens only.
fn could_be_accidental(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// The characters Notify escapes.
const MARKDOWN: &str = "`*_()\\{}[]<>#+-.!|";

/// `value` with its links removed (accidental ones' dots broken up).
fn unlink(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut unlinked = String::with_capacity(value.len());
    let mut last = 0;
    for (start, end) in links(&chars) {
        unlinked.extend(&chars[last..start]);
        let link: String = chars[start..end].iter().collect();
        if could_be_accidental(&link) {
            unlinked.push_str(&link.replace('.', ". "));
        }
        last = end;
    }
    unlinked.extend(&chars[last..]);
    unlinked
}

/// One value, sanitised as Notify does, in time linear in its length.
pub fn sanitise(value: &str) -> String {
    // A link has a dot: without one there is nothing to look for.
    let unlinked = if value.contains('.') { unlink(value) } else { value.to_string() };
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

    /// The pattern as a backtracking engine runs it: the oracle for short
    /// values, where backtracking stays cheap.
    fn links_by_backtracking(value: &str) -> Vec<String> {
        static PATTERN: std::sync::OnceLock<fancy_regex::Regex> = std::sync::OnceLock::new();
        let pattern = PATTERN.get_or_init(|| {
            fancy_regex::Regex::new(r"(?i)\b(?<![@.])(https?://)?([\w\-]+\.)+([a-z]{2,63})(?!@)\b([/?#][^<\s]*)?")
                .unwrap()
        });
        pattern
            .find_iter(value)
            .map(|m| m.expect("short values stay within the backtrack limit").as_str().to_string())
            .collect()
    }

    fn links_found(value: &str) -> Vec<String> {
        let chars: Vec<char> = value.chars().collect();
        links(&chars).into_iter().map(|(s, e)| chars[s..e].iter().collect()).collect()
    }

    /// Pieces that exercise every part of the pattern: labels, dots, the
    /// scheme, `@`, paths, letters that fold (`ſ`, the Kelvin sign) and
    /// letters that are words but not ASCII.
    fn linkish() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("a".to_string()),
            Just("co".to_string()),
            Just("uk".to_string()),
            Just("X".to_string()),
            Just("7".to_string()),
            Just("_".to_string()),
            Just("-".to_string()),
            Just(".".to_string()),
            Just("..".to_string()),
            Just("@".to_string()),
            Just("/".to_string()),
            Just("?q=1".to_string()),
            Just("#".to_string()),
            Just("<".to_string()),
            Just(" ".to_string()),
            Just("http://".to_string()),
            Just("HTTPS://".to_string()),
            Just("https:/".to_string()),
            Just("é".to_string()),
            Just("ſ".to_string()),
            Just("\u{212A}".to_string()),
            "[a-z]{1,70}",
        ];
        prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    #[test]
    fn long_runs_that_backtracking_engines_choke_on_finish_in_linear_time() {
        // A benign value of the same length, timed in the same run, is the
        // yardstick: a quadratic pass over 256 KiB would be thousands of
        // times slower than it.
        let len = 256 * 1024;
        let repeat = |unit: &str| unit.repeat(len / unit.len());
        let yardstick = {
            let value = repeat("ab cd ");
            let started = std::time::Instant::now();
            sanitise(&value);
            started.elapsed()
        };
        for unit in ["a-", "a", "a.", "a.1", "-", "a_b-", "x.y.", "a@b.", "http://a.", "a.a@", "ab.c7.", "aaaa.b"] {
            let value = repeat(unit);
            let started = std::time::Instant::now();
            sanitise(&value);
            let took = started.elapsed();
            assert!(
                took <= yardstick * 20 + std::time::Duration::from_millis(200),
                "{unit:?} repeated to {len} bytes took {took:?} (a benign value: {yardstick:?})"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3_000))]

        #[test]
        fn finds_the_links_notifys_pattern_finds(value in linkish()) {
            prop_assert_eq!(links_found(&value), links_by_backtracking(&value), "in {:?}", value);
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
