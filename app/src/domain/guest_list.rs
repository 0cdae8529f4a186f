//! The guest list: up to 5 email addresses and 5 mobile numbers, one per
//! line, each validated, blank lines and duplicates dropped.

use super::{EmailAddress, PhoneNumber};

pub const MAX_ENTRIES: usize = 5;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GuestList {
    pub email_addresses: Vec<EmailAddress>,
    pub phone_numbers: Vec<PhoneNumber>,
}

/// A problem with one field: which field, and Notify-style messages for the
/// error summary (each naming the line) and for the field itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestListError {
    pub field: &'static str,
    pub message: String,
}

fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .map(super::strip_obscure_whitespace)
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| (i + 1, l))
}

impl GuestList {
    /// Parses the two textareas. Every bad line is reported, by its line number.
    pub fn parse(email_addresses: &str, phone_numbers: &str) -> Result<Self, Vec<GuestListError>> {
        let mut errors = Vec::new();
        let mut list = GuestList::default();
        // Entries seen, in sets: a pasted list of thousands of lines is
        // checked against them in one pass (a list compared each line with
        // every line before it).
        let mut emails_seen = std::collections::HashSet::new();
        let mut phones_seen = std::collections::HashSet::new();
        for (n, line) in lines(email_addresses) {
            match EmailAddress::parse(line) {
                Ok(e) if !emails_seen.insert(e.normalised()) => {}
                Ok(e) => list.email_addresses.push(e),
                Err(_) => errors.push(GuestListError {
                    field: "email_addresses",
                    message: format!("Enter email address {n} in the correct format, like name@example.gov.uk"),
                }),
            }
        }
        for (n, line) in lines(phone_numbers) {
            match PhoneNumber::parse(line) {
                Ok(p) if !phones_seen.insert(p.as_str().to_string()) => {}
                Ok(p) => list.phone_numbers.push(p),
                Err(e) => errors
                    .push(GuestListError { field: "phone_numbers", message: e.message(&format!("Mobile number {n}")) }),
            }
        }
        if list.email_addresses.len() > MAX_ENTRIES {
            errors.push(GuestListError {
                field: "email_addresses",
                message: format!("You can only add up to {MAX_ENTRIES} email addresses"),
            });
        }
        if list.phone_numbers.len() > MAX_ENTRIES {
            errors.push(GuestListError {
                field: "phone_numbers",
                message: format!("You can only add up to {MAX_ENTRIES} mobile numbers"),
            });
        }
        // Email errors first, then phone errors, as the fields appear.
        errors.sort_by_key(|e| e.field != "email_addresses");
        if errors.is_empty() {
            Ok(list)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_and_duplicates_are_dropped_and_numbers_normalised() {
        let list = GuestList::parse(
            "a@example.gov.uk\n\n A@Example.gov.uk \nb@example.gov.uk",
            "07700 900123\n+447700900123\n\n+1 202-555-0104",
        )
        .unwrap();
        assert_eq!(list.email_addresses.len(), 2);
        let phones: Vec<_> = list.phone_numbers.iter().map(|p| p.as_str()).collect();
        assert_eq!(phones, vec!["+447700900123", "+12025550104"]);
    }

    #[test]
    fn every_bad_line_is_reported_by_its_number() {
        let errors =
            GuestList::parse("ok@example.gov.uk\nnot an email", "0770090012\n07700900123\n02079460000").unwrap_err();
        let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "Enter email address 2 in the correct format, like name@example.gov.uk",
                "Mobile number 1 is too short",
                "Mobile number 3 does not look like a UK mobile number",
            ]
        );
    }

    #[test]
    fn more_than_five_of_either_is_refused() {
        let emails: String = (1..=6).map(|i| format!("p{i}@example.gov.uk\n")).collect();
        let errors = GuestList::parse(&emails, "").unwrap_err();
        assert_eq!(errors[0].message, "You can only add up to 5 email addresses");
        assert!(GuestList::parse(&(1..=5).map(|i| format!("p{i}@example.gov.uk\n")).collect::<String>(), "").is_ok());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2_000))]

            #[test]
            fn parsing_anything_never_panics(emails in "\\PC{0,400}", phones in "[0-9 +()\\n-]{0,200}|\\PC{0,200}") {
                match GuestList::parse(&emails, &phones) {
                    Ok(list) => {
                        prop_assert!(list.email_addresses.len() <= MAX_ENTRIES);
                        prop_assert!(list.phone_numbers.len() <= MAX_ENTRIES);
                    }
                    Err(errors) => prop_assert!(errors.iter().all(|e| !e.message.is_empty())),
                }
            }

            #[test]
            fn a_saved_list_parses_back_to_itself(
                locals in proptest::collection::vec("[a-z][a-z0-9.]{0,10}[a-z0-9]", 0..=5),
                numbers in proptest::collection::vec(0u32..1_000_000, 0..=5),
                blank_lines in 0usize..3,
            ) {
                let emails: Vec<String> = locals.iter().map(|l| format!("{l}@example.gov.uk")).collect();
                let phones: Vec<String> = numbers.iter().map(|n| format!("07700 9{n:05}").chars().take(12).collect()).collect();
                let text = |items: &[String]| items.join(&"\n".repeat(blank_lines + 1));
                let Ok(first) = GuestList::parse(&text(&emails), &text(&phones)) else { return Ok(()) };
                let saved_emails: Vec<String> = first.email_addresses.iter().map(|e| e.as_str().to_string()).collect();
                let saved_phones: Vec<String> = first.phone_numbers.iter().map(|p| p.as_str().to_string()).collect();
                let again = GuestList::parse(&saved_emails.join("\n"), &saved_phones.join("\n")).unwrap();
                prop_assert_eq!(again, first);
            }
        }
    }
}
