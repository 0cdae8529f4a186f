//! The one home of "may this service's team key send to this recipient".

use crate::domain::{EmailAddress, PhoneNumber};
use crate::ssr::store::{self, Store};

/// Someone a message is addressed to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recipient {
    Email(EmailAddress),
    Phone(PhoneNumber),
}

/// True when `recipient` is a team member's email address or mobile number,
/// or on the guest list. Emails compare case-insensitively, numbers after
/// normalisation to E.164 (so `07700 900123` matches `+447700900123`).
pub fn is_team_or_guest(recipient: &Recipient, emails: &[String], mobiles: &[String]) -> bool {
    match recipient {
        Recipient::Email(e) => {
            let wanted = e.normalised();
            emails.iter().any(|x| x.trim().to_lowercase() == wanted)
        }
        Recipient::Phone(p) => mobiles.iter().filter_map(|m| PhoneNumber::parse(m).ok()).any(|m| &m == p),
    }
}

/// May a team key of `service_id` send to `recipient`?
pub async fn team_key_may_send_to(pool: &Store, service_id: &str, recipient: &Recipient) -> anyhow::Result<bool> {
    let (mut emails, mut mobiles) = store::team_contacts(pool, service_id).await?;
    let guests = store::guest_list(pool, service_id).await?;
    emails.extend(guests.email_addresses);
    mobiles.extend(guests.phone_numbers);
    Ok(is_team_or_guest(recipient, &emails, &mobiles))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_after_normalising() {
        let emails = vec!["Someone@Example.gov.uk".to_string()];
        let mobiles = vec!["07700 900123".to_string(), "not a number".to_string()];
        let email = |s: &str| Recipient::Email(EmailAddress::parse(s).unwrap());
        let phone = |s: &str| Recipient::Phone(PhoneNumber::parse(s).unwrap());
        assert!(is_team_or_guest(&email("someone@example.GOV.uk"), &emails, &mobiles));
        assert!(!is_team_or_guest(&email("other@example.gov.uk"), &emails, &mobiles));
        assert!(is_team_or_guest(&phone("+44 7700 900123"), &emails, &mobiles));
        assert!(!is_team_or_guest(&phone("07700900124"), &emails, &mobiles));
    }
}
