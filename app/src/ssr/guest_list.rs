//! The one home of "replace the guest list": the two fields checked line by
//! line, the list stored, and its audit entry written with it.

use crate::domain::guest_list::{GuestList, GuestListError};
use crate::ssr::store::{self, Audit, Store};

/// Replaces the service's guest list with what `email_addresses` and
/// `phone_numbers` (one per line) hold, for `user_id`; or every problem,
/// with nothing changed.
pub async fn replace(
    pool: &Store,
    service_id: &str,
    user_id: &str,
    email_addresses: &str,
    phone_numbers: &str,
) -> anyhow::Result<Result<(), Vec<GuestListError>>> {
    let list = match GuestList::parse(email_addresses, phone_numbers) {
        Ok(list) => list,
        Err(problems) => return Ok(Err(problems)),
    };
    let emails: Vec<String> = list.email_addresses.iter().map(|e| e.as_str().to_string()).collect();
    let phones: Vec<String> = list.phone_numbers.iter().map(|p| p.as_str().to_string()).collect();
    let description = format!(
        "Updated the guest list: {}, {}",
        crate::domain::plural(emails.len() as i64, "email address", "email addresses"),
        crate::domain::plural(phones.len() as i64, "mobile number", "mobile numbers")
    );
    let audit = Audit { user_id: Some(user_id), description: &description };
    store::replace_guest_list(pool, service_id, &emails, &phones, audit).await?;
    Ok(Ok(()))
}
