//! Template types and `((placeholder))` fields.

use super::permission::string_enum;

string_enum! {
    TemplateType {
        Email => "email",
        Sms => "sms",
        Letter => "letter",
    }
}

impl TemplateType {
    /// Whether templates of this type have a subject line.
    pub fn has_subject(self) -> bool {
        !matches!(self, TemplateType::Sms)
    }

    /// How Notify names a message of this type in running text.
    pub fn message_noun(self) -> &'static str {
        match self {
            TemplateType::Email => "email",
            TemplateType::Sms => "text message",
            TemplateType::Letter => "letter",
        }
    }
}

/// The placeholder names in `text`, in order of first appearance, without
/// duplicates (compared case-insensitively, as Notify does). A `??` suffix
/// marks an optional block; its name is the part before `??`.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    // Names seen, compared as below: a set, so a text of many distinct
    // placeholders costs a look-up each, not a pass over all the others.
    let mut seen = std::collections::HashSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("((") {
        let after = &rest[start + 2..];
        // As in `fill_within`: the name ends at the next bracket.
        let end = after.find(['(', ')']).filter(|&end| end > 0 && after[end..].starts_with("))"));
        if let Some(end) = end {
            let inner = &after[..end];
            let name = inner.split("??").next().unwrap_or(inner).trim().to_string();
            if !name.is_empty() && seen.insert(name.to_ascii_lowercase()) {
                names.push(name);
            }
            rest = &after[end + 2..];
        } else {
            rest = &rest[start + 1..];
        }
    }
    names
}

/// Every placeholder of a template's subject and body, without duplicates.
pub fn template_fields(subject: Option<&str>, content: &str) -> Vec<String> {
    let mut fields = placeholders(content);
    let mut keys: std::collections::HashSet<String> = fields.iter().map(|f| personalisation_key(f)).collect();
    for f in subject.map(placeholders).unwrap_or_default() {
        if keys.insert(personalisation_key(&f)) {
            fields.push(f);
        }
    }
    fields
}

/// How Notify compares personalisation names (notifications-utils'
/// `InsensitiveDict`): spaces, underscores and hyphens removed, then lower
/// case as Python's `str.lower` (a final capital sigma becomes `ς`), so
/// `((First_Name))` is filled by `first name`.
pub fn personalisation_key(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, ' ' | '_' | '-')).collect::<String>().to_lowercase()
}

/// Fills every `((placeholder))` in `text` with `value(name)`. A conditional
/// `((name??shown text))` shows its text when the value is present and not
/// empty. Placeholders without a value are left as they are.
pub fn fill(text: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    fill_within(text, value, usize::MAX).expect("no limit")
}

/// [`fill`], giving up with `None` as soon as the result would pass `limit`
/// bytes (a template repeating a placeholder can multiply a large value).
/// Linear in the size of `text` and of the result.
pub fn fill_within(text: &str, value: &dyn Fn(&str) -> Option<String>, limit: usize) -> Option<String> {
    let mut out = String::with_capacity(text.len().min(limit));
    let mut rest = text;
    let push = |out: &mut String, s: &str| {
        out.push_str(s);
        (out.len() <= limit).then_some(())
    };
    while let Some(start) = rest.find("((") {
        let after = &rest[start + 2..];
        // A placeholder's name has no brackets: it ends at the next bracket,
        // which must start `))`. Scanning stops there, so the whole loop
        // reads each character a bounded number of times.
        let end = match after.find(['(', ')']) {
            Some(end) if after[end..].starts_with("))") && end > 0 => end,
            _ => {
                push(&mut out, &rest[..start + 1])?;
                rest = &rest[start + 1..];
                continue;
            }
        };
        let inner = &after[..end];
        push(&mut out, &rest[..start])?;
        match inner.split_once("??") {
            Some((name, shown)) => {
                if value(name.trim()).is_some_and(|v| !v.is_empty()) {
                    push(&mut out, shown)?;
                }
            }
            None => match value(inner.trim()) {
                Some(v) => push(&mut out, &v)?,
                None => {
                    push(&mut out, "((")?;
                    push(&mut out, inner)?;
                    push(&mut out, "))")?;
                }
            },
        }
        rest = &after[end + 2..];
    }
    push(&mut out, rest)?;
    Some(out)
}

/// Line endings as `\n`: `\r\n` and a lone `\r` each become one `\n`, as
/// Notify renders a text message.
pub fn normalise_newlines(text: &str) -> String {
    if !text.contains('\r') {
        return text.to_string();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Notify's longest text message, in characters.
pub const SMS_MAX_CHARACTERS: usize = 918;
/// Notify's largest email body, in bytes.
pub const EMAIL_MAX_BYTES: usize = 2_000_000;
/// How large a rendered message may grow before sending gives up on it
/// (far above every limit, so a refusal can still say the length).
pub const RENDER_LIMIT_BYTES: usize = 4 * EMAIL_MAX_BYTES;

/// Notify's refusal of a message of type `t` that is `n` long (characters for
/// a text message, bytes for an email).
pub fn too_long_message(t: TemplateType, n: usize) -> String {
    match t {
        TemplateType::Sms => format!(
            "Text messages cannot be longer than {SMS_MAX_CHARACTERS} characters. Your message is {n} characters long."
        ),
        _ => format!("Emails cannot be longer than {EMAIL_MAX_BYTES} bytes. Your message is {n} bytes."),
    }
}

/// Notify's refusal of a rendered message too long to send, if it is.
pub fn length_error(t: TemplateType, body: &str) -> Option<String> {
    let (n, max) = match t {
        TemplateType::Sms => (body.chars().count(), SMS_MAX_CHARACTERS),
        TemplateType::Email => (body.len(), EMAIL_MAX_BYTES),
        TemplateType::Letter => return None,
    };
    (n > max).then(|| too_long_message(t, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_messages_line_endings_become_newlines() {
        assert_eq!(normalise_newlines("Hello,\r\nthis is\rone\n\r\n"), "Hello,\nthis is\none\n\n");
        assert_eq!(normalise_newlines("no breaks"), "no breaks");
    }
    use proptest::prelude::*;

    #[test]
    fn messages_over_notifys_limits_are_refused_with_its_words() {
        assert_eq!(length_error(TemplateType::Sms, &"é".repeat(918)), None);
        assert_eq!(
            length_error(TemplateType::Sms, &"a".repeat(1000)).unwrap(),
            "Text messages cannot be longer than 918 characters. Your message is 1000 characters long."
        );
        assert_eq!(
            length_error(TemplateType::Email, &"a".repeat(2_000_001)).unwrap(),
            "Emails cannot be longer than 2000000 bytes. Your message is 2000001 bytes."
        );
        assert_eq!(length_error(TemplateType::Letter, &"a".repeat(3_000_000)), None);
    }

    #[test]
    fn filling_stops_at_the_limit() {
        let big = |_: &str| Some("x".repeat(1000));
        assert!(fill_within(&"((a))".repeat(1000), &big, 10_000).is_none());
        assert_eq!(fill_within("((a))", &big, 10_000).unwrap().len(), 1000);
    }

    #[test]
    fn unclosed_brackets_take_linear_time() {
        // Quadratic scanning would take minutes here.
        let text = "((".repeat(200_000) + "x))";
        let v = |_: &str| Some("y".to_string());
        assert_eq!(fill(&text, &v), "((".repeat(199_999) + "y");
    }

    #[test]
    fn fills_placeholders_and_conditionals() {
        let v = |n: &str| match personalisation_key(n).as_str() {
            "name" => Some("Ada".to_string()),
            "empty" => Some(String::new()),
            _ => None,
        };
        assert_eq!(
            fill("Hi ((Name)), ((name??you are known))((empty??hidden)) ((other))", &v),
            "Hi Ada, you are known ((other))"
        );
        assert_eq!(fill("no placeholders (( here", &v), "no placeholders (( here");
    }

    #[test]
    fn finds_placeholders_in_order_without_duplicates() {
        assert_eq!(
            placeholders("Dear ((name)), your ref is ((Ref)). Bye ((NAME)) ((ok??yes))"),
            vec!["name", "Ref", "ok"]
        );
    }

    #[test]
    fn notifys_insensitive_keys() {
        assert_eq!(personalisation_key("First_Name"), personalisation_key("first name"));
        assert_eq!(personalisation_key("first-name"), "firstname");
        assert_eq!(personalisation_key("ΑΣ"), "ας", "Python's lower() ends a word with a final sigma");
        assert_ne!(personalisation_key("first\tname"), "firstname", "only spaces are dropped, as Notify");
    }

    #[test]
    fn ignores_unclosed_and_empty_brackets() {
        assert!(placeholders("((  (( )) (()) ((open").is_empty());
        assert_eq!(placeholders("(((name)))"), vec!["name"]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn personalisation_keys_are_stable_and_drop_spaces_underscores_and_hyphens(name in "\\PC{0,40}") {
            let key = personalisation_key(&name);
            prop_assert_eq!(personalisation_key(&key), key.clone());
            prop_assert!(!key.contains([' ', '_', '-']));
        }

        #[test]
        fn ascii_names_match_whatever_their_case_and_separators(words in proptest::collection::vec("[a-zA-Z0-9]{1,8}", 1..4), sep in "[ _-]{0,2}") {
            let spaced = words.join(" ");
            let other = words.iter().map(|w| w.to_uppercase()).collect::<Vec<_>>().join(&sep);
            prop_assert_eq!(personalisation_key(&spaced), personalisation_key(&other));
        }

        #[test]
        fn filling_within_a_limit_never_exceeds_it(text in "\\PC{0,200}", value in "\\PC{0,50}", limit in 0usize..400) {
            if let Some(filled) = fill_within(&text, &|_| Some(value.clone()), limit) {
                prop_assert!(filled.len() <= limit);
                prop_assert_eq!(filled, fill(&text, &|_| Some(value.clone())));
            }
        }

        #[test]
        fn every_inserted_name_is_found(names in proptest::collection::vec("[a-z]{1,8}", 0..5)) {
            let text: String = names.iter().map(|n| format!("x (({n})) y")).collect();
            let found = placeholders(&text);
            for n in &names {
                prop_assert!(found.contains(n));
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,100}") {
            let _ = placeholders(&s);
            let _ = fill(&s, &|_| Some("x".to_string()));
        }

        #[test]
        fn filling_every_placeholder_leaves_none(names in proptest::collection::vec("[a-z]{1,8}", 0..5)) {
            let text: String = names.iter().map(|n| format!("a (({n})) b ")).collect();
            let filled = fill(&text, &|_| Some("v".to_string()));
            prop_assert!(placeholders(&filled).is_empty());
        }
    }
}
