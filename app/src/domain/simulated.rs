//! Notify's simulated recipients: those a send answers 201 but never stores
//! or sends, and the recipients whose test-key messages end in a failure.
//! The one home of both rules, for every database backend (issue 20: the
//! test-key outcome was a SQL `CASE`).

use super::{NotificationStatus, PhoneNumber, TemplateType};

/// Recipients answered 201 but never stored or sent (Notify's smoke-test
/// addresses and numbers).
pub fn is_simulated_recipient(t: TemplateType, recipient: &str) -> bool {
    match t {
        TemplateType::Sms => PhoneNumber::parse(recipient)
            .map(|p| ["+447700900000", "+447700900111", "+447700900222"].contains(&p.as_str()))
            .unwrap_or(false),
        TemplateType::Email => [
            "simulate-delivered@notifications.service.gov.uk",
            "simulate-delivered-2@notifications.service.gov.uk",
            "simulate-delivered-3@notifications.service.gov.uk",
        ]
        .contains(&recipient.trim().to_lowercase().as_str()),
        TemplateType::Letter => false,
    }
}

/// How a test key's message to `recipient` (as stored) ends: a temporary
/// failure for numbers ending 7700900003 and `temp-fail@simulator.notify`,
/// a permanent failure for numbers ending 7700900002 and
/// `perm-fail@simulator.notify`, delivered otherwise (as Notify's test keys).
pub fn test_key_outcome(recipient: &str) -> NotificationStatus {
    let email = recipient.to_ascii_lowercase();
    if recipient.ends_with("7700900003") || email == "temp-fail@simulator.notify" {
        NotificationStatus::TemporaryFailure
    } else if recipient.ends_with("7700900002") || email == "perm-fail@simulator.notify" {
        NotificationStatus::PermanentFailure
    } else {
        NotificationStatus::Delivered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn notifys_failing_recipients() {
        use NotificationStatus::*;
        assert_eq!(test_key_outcome("+447700900003"), TemporaryFailure);
        assert_eq!(test_key_outcome("+447700900002"), PermanentFailure);
        assert_eq!(test_key_outcome("Temp-Fail@Simulator.Notify"), TemporaryFailure);
        assert_eq!(test_key_outcome("perm-fail@simulator.notify"), PermanentFailure);
        assert_eq!(test_key_outcome("+447700900004"), Delivered);
        assert_eq!(test_key_outcome("someone@example.com"), Delivered);
        assert_eq!(test_key_outcome("A Person\n1 Street\nSW1A 1AA"), Delivered);
    }

    #[test]
    fn notifys_simulated_recipients() {
        assert!(is_simulated_recipient(TemplateType::Sms, "07700 900000"));
        assert!(is_simulated_recipient(TemplateType::Email, " Simulate-Delivered@notifications.service.gov.uk"));
        assert!(!is_simulated_recipient(TemplateType::Sms, "07700900003"));
        assert!(!is_simulated_recipient(TemplateType::Letter, "simulate-delivered@notifications.service.gov.uk"));
    }

    proptest! {
        /// Whatever comes before them, the failing numbers' endings decide.
        #[test]
        fn the_number_ending_decides(prefix in "\\PC{0,30}") {
            prop_assert_eq!(test_key_outcome(&format!("{prefix}7700900003")), NotificationStatus::TemporaryFailure);
            prop_assert_eq!(test_key_outcome(&format!("{prefix}7700900002")), NotificationStatus::PermanentFailure);
        }

        /// The addresses in any ASCII case (SQLite's `lower` too was ASCII only).
        #[test]
        fn the_addresses_in_any_case(flips in proptest::collection::vec(any::<bool>(), 26)) {
            let cased = |address: &str| -> String {
                address.chars().zip(flips.iter().cycle()).map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c }).collect()
            };
            prop_assert_eq!(test_key_outcome(&cased("temp-fail@simulator.notify")), NotificationStatus::TemporaryFailure);
            prop_assert_eq!(test_key_outcome(&cased("perm-fail@simulator.notify")), NotificationStatus::PermanentFailure);
        }

        /// Anything else is delivered.
        #[test]
        fn anything_else_is_delivered(recipient in "[^@0-9]{0,40}(@[a-z.]{1,20})?[0-9]{0,9}") {
            let lower = recipient.to_ascii_lowercase();
            prop_assume!(lower != "temp-fail@simulator.notify" && lower != "perm-fail@simulator.notify");
            prop_assert_eq!(test_key_outcome(&recipient), NotificationStatus::Delivered);
        }
    }
}
