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
    let mut rest = text;
    while let Some(start) = rest.find("((") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("))") else { break };
        let inner = &after[..end];
        if !inner.is_empty() && !inner.contains('(') && !inner.contains(')') {
            let name = inner.split("??").next().unwrap_or(inner).trim().to_string();
            if !name.is_empty() && !names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
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
    for f in subject.map(placeholders).unwrap_or_default() {
        if !fields.iter().any(|x| personalisation_key(x) == personalisation_key(&f)) {
            fields.push(f);
        }
    }
    fields
}

/// How Notify compares personalisation names: lower case, no whitespace.
pub fn personalisation_key(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

/// Fills every `((placeholder))` in `text` with `value(name)`. A conditional
/// `((name??shown text))` shows its text when the value is present and not
/// empty. Placeholders without a value are left as they are.
pub fn fill(text: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("((") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("))") else { break };
        let inner = &after[..end];
        if inner.is_empty() || inner.contains('(') || inner.contains(')') {
            out.push_str(&rest[..start + 1]);
            rest = &rest[start + 1..];
            continue;
        }
        out.push_str(&rest[..start]);
        match inner.split_once("??") {
            Some((name, shown)) => {
                if value(name.trim()).is_some_and(|v| !v.is_empty()) {
                    out.push_str(shown);
                }
            }
            None => match value(inner.trim()) {
                Some(v) => out.push_str(&v),
                None => {
                    out.push_str("((");
                    out.push_str(inner);
                    out.push_str("))");
                }
            },
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
    fn ignores_unclosed_and_empty_brackets() {
        assert!(placeholders("((  (( )) (()) ((open").is_empty());
        assert_eq!(placeholders("(((name)))"), vec!["name"]);
    }

    proptest! {
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
