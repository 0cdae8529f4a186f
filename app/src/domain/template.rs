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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        }
    }
}
