//! Email addresses, validated as GOV.UK Notify validates them.

use super::strip_obscure_whitespace;
use serde::{Deserialize, Serialize};
use std::fmt;

const MAX_LENGTH: usize = 320;
const MAX_HOSTNAME_LENGTH: usize = 253;
const MAX_LABEL_LENGTH: usize = 63;

/// An email address in the form a person typed it (whitespace stripped).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EmailAddress(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailAddressError {
    #[error("Enter an email address")]
    Empty,
    #[error("Enter an email address in the correct format, like name@example.gov.uk")]
    Invalid,
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c)
}

fn is_valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= MAX_LABEL_LENGTH
        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !label.starts_with('-')
        && !label.ends_with('-')
        && !label.contains("---")
}

fn is_valid_tld(tld: &str) -> bool {
    if let Some(rest) = tld.strip_prefix("xn--") {
        !rest.is_empty()
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !rest.starts_with('-')
            && !rest.ends_with('-')
            && !rest.contains("--")
    } else {
        (2..=63).contains(&tld.len()) && tld.chars().all(|c| c.is_ascii_alphabetic())
    }
}

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, EmailAddressError> {
        let value = strip_obscure_whitespace(raw);
        if value.is_empty() {
            return Err(EmailAddressError::Empty);
        }
        let (local, hostname) = value.split_once('@').ok_or(EmailAddressError::Invalid)?;
        let valid = !local.is_empty()
            && local.chars().all(is_local_char)
            && !hostname.contains('@')
            && !hostname.starts_with('.')
            && !hostname.chars().any(char::is_whitespace)
            && value.len() <= MAX_LENGTH
            && !value.contains("..")
            && hostname.len() <= MAX_HOSTNAME_LENGTH;
        if !valid {
            return Err(EmailAddressError::Invalid);
        }
        let labels: Vec<&str> = hostname.split('.').collect();
        if labels.len() < 2 || !labels.iter().all(|l| is_valid_label(l)) {
            return Err(EmailAddressError::Invalid);
        }
        if !is_valid_tld(labels[labels.len() - 1]) {
            return Err(EmailAddressError::Invalid);
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to compare addresses: lower case.
    pub fn normalised(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The part before the `@` of the address a service's emails come from,
/// made from its name as Notify makes it: lower case, spaces as dots,
/// only `a-z`, `0-9`, `.`, `-` and `_` kept, no leading, trailing or
/// repeated dots (`Example Live Service` → `example.live.service`);
/// `notify` when nothing is left.
pub fn local_part_for_service(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = match c {
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            '-' | '_' => c,
            '.' | ' ' => '.',
            c if c.is_whitespace() => '.',
            _ => continue,
        };
        if c == '.' && (out.is_empty() || out.ends_with('.')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('.') {
        out.pop();
    }
    if out.is_empty() {
        "notify".to_string()
    } else {
        out.chars().take(64).collect::<String>().trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "test@example.gov.uk",
            "first.last@digital.cabinet-office.gov.uk",
            "a+tag@example.com",
            "  padded@example.com \u{200B}",
            "o'neil@example.co.uk",
            "name@xn--bcher-kva.example",
            "name@example.xn--p1ai",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok} should be valid");
        }
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "plainaddress",
            "@example.com",
            "name@",
            "name@localhost",
            "name@example..com",
            "na..me@example.com",
            "name@-example.com",
            "name@example-.com",
            "name@example.c",
            "name@example.123",
            "name@@example.com",
            "name@exa mple.com",
            "na me@example.com",
            "name@.example.com",
            "name@example.com.",
        ] {
            assert_eq!(EmailAddress::parse(bad), Err(EmailAddressError::Invalid), "{bad}");
        }
    }

    #[test]
    fn empty_and_whitespace_are_empty() {
        assert_eq!(EmailAddress::parse(" \t"), Err(EmailAddressError::Empty));
    }

    #[test]
    fn error_messages_are_notifys() {
        assert_eq!(
            EmailAddressError::Invalid.to_string(),
            "Enter an email address in the correct format, like name@example.gov.uk"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn well_formed_addresses_parse_and_keep_their_text(
            local in "[a-z0-9]{1,20}([.+_-][a-z0-9]{1,10})?",
            domain in "[a-z0-9]{1,20}(-[a-z0-9]{1,10})?",
            tld in "[a-z]{2,6}",
        ) {
            let raw = format!("{local}@{domain}.{tld}");
            let parsed = EmailAddress::parse(&raw).unwrap();
            prop_assert_eq!(parsed.as_str(), raw.as_str());
        }

        #[test]
        fn parsing_never_panics(raw in "\\PC{0,80}") {
            let _ = EmailAddress::parse(&raw);
        }

        #[test]
        fn an_address_without_at_sign_is_refused(raw in "[^@]{1,60}") {
            prop_assert!(EmailAddress::parse(&raw).is_err());
        }

        #[test]
        fn normalising_is_idempotent(local in "[A-Za-z0-9]{1,10}", domain in "[A-Za-z]{1,10}") {
            let e = EmailAddress::parse(&format!("{local}@{domain}.GOV.uk")).unwrap();
            let once = EmailAddress::parse(&e.normalised()).unwrap().normalised();
            prop_assert_eq!(once, e.normalised());
        }
    }

    #[test]
    fn a_services_local_part_is_its_name_made_safe() {
        assert_eq!(local_part_for_service("Example Live Service"), "example.live.service");
        assert_eq!(local_part_for_service("  Café & Co. -- Bookings  "), "caf.co.--.bookings");
        assert_eq!(local_part_for_service("!!!"), "notify");
    }

    proptest::proptest! {
        #[test]
        fn a_local_part_is_always_a_valid_one(name in proptest::prelude::any::<String>()) {
            let local = local_part_for_service(&name);
            proptest::prop_assert!(!local.is_empty() && local.len() <= 64);
            proptest::prop_assert!(local.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c)));
            proptest::prop_assert!(!local.starts_with('.') && !local.ends_with('.') && !local.contains(".."));
            let address = format!("{local}@notify.example.gov.uk");
            proptest::prop_assert!(EmailAddress::parse(&address).is_ok(), "{}", address);
        }
    }
}
