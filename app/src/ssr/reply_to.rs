//! A new reply-to email address is checked before it is saved, as Notify
//! checks it: an email goes to the address ([`start`], from the platform's
//! service), and the address is added (or replaces the one being changed)
//! once that email is delivered ([`check`]); if it fails, or is not
//! delivered within [`CHECK_TIMEOUT`], the check fails and the address is
//! not saved. Every entry point (the pages) calls these.
//!
//! The check's email carries, in its personalisation, the service it is for
//! and what to do once delivered: a check is only ever read for that service
//! (another service's check id answers as if it did not exist).

use crate::domain::senders::SenderKind;
use crate::domain::NotificationStatus;
use crate::ssr::platform_emails::{self, PLATFORM_SERVICE_ID, REPLY_TO_CHECK_TEMPLATE_ID};
use crate::ssr::{clock, store};
use anyhow::Context;

/// How long the check's email may take to be delivered (Notify's
/// `REPLY_TO_EMAIL_ADDRESS_VALIDATION_TIMEOUT`).
pub const CHECK_TIMEOUT: time::Duration = time::Duration::seconds(45);

/// Where a check stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckState {
    /// The email is on its way.
    Pending,
    /// Delivered: the address is now one of the service's.
    Added,
    /// Not delivered (refused, or not in time): nothing was saved.
    Failed,
}

/// A check, as its page shows it.
#[derive(Clone, Debug)]
pub struct Check {
    pub address: String,
    /// The address is to be the default.
    pub is_default: bool,
    /// The id of the address it replaces (a change), if any.
    pub replace: Option<String>,
    pub state: CheckState,
}

/// Starts checking `address` for the service: sends the check's email and
/// returns the check's id, or why the address cannot be used (the service
/// has it already; the address to replace is not the service's).
pub async fn start(
    pool: &store::Store,
    service_id: &str,
    address: &str,
    is_default: bool,
    replace: Option<&str>,
) -> anyhow::Result<Result<String, store::SenderError>> {
    let existing = store::senders(pool, service_id, SenderKind::EmailReplyTo).await?;
    if let Some(id) = replace {
        if !existing.iter().any(|s| s.id == id) {
            return Ok(Err(store::SenderError::NotFound));
        }
    }
    if existing.iter().any(|s| s.value.eq_ignore_ascii_case(address) && Some(s.id.as_str()) != replace) {
        return Ok(Err(store::SenderError::Duplicate));
    }
    let service = store::get_service(pool, service_id).await?.context("no such service")?;
    let mut extra = serde_json::Map::new();
    extra.insert("service_id".into(), service_id.into());
    extra.insert("is_default".into(), is_default.into());
    extra.insert("replace".into(), replace.map(Into::into).unwrap_or(serde_json::Value::Null));
    let id = platform_emails::send(pool, REPLY_TO_CHECK_TEMPLATE_ID, address, &[("service_name", service.name)], extra)
        .await?;
    Ok(Ok(id))
}

/// The service's check `check_id` (`None`: no such check for this service),
/// saving the address when its email was delivered (once: reading the check
/// again changes nothing more), on the audit log as `user_id`'s change.
pub async fn check(
    pool: &store::Store,
    service_id: &str,
    check_id: &str,
    user_id: &str,
) -> anyhow::Result<Option<Check>> {
    if uuid::Uuid::parse_str(check_id).is_err() {
        return Ok(None);
    }
    let Some(email) = store::get_notification(pool, PLATFORM_SERVICE_ID, check_id).await? else { return Ok(None) };
    if email.template_id != REPLY_TO_CHECK_TEMPLATE_ID {
        return Ok(None);
    }
    let details: serde_json::Value = serde_json::from_str(&email.personalisation).unwrap_or_default();
    if details["service_id"].as_str() != Some(service_id) {
        return Ok(None);
    }
    let is_default = details["is_default"].as_bool().unwrap_or(false);
    let replace = details["replace"].as_str().map(str::to_string);
    let address = email.recipient.clone();
    let state = match email.status {
        NotificationStatus::Delivered | NotificationStatus::Sent => {
            save(pool, service_id, &address, is_default, replace.as_deref(), user_id).await?;
            CheckState::Added
        }
        status if status.is_final() => CheckState::Failed,
        _ if clock::now() - email.created_at > CHECK_TIMEOUT => CheckState::Failed,
        _ => CheckState::Pending,
    };
    Ok(Some(Check { address, is_default, replace, state }))
}

/// Adds the checked address (or changes the one it replaces to it), unless
/// the service has it already.
async fn save(
    pool: &store::Store,
    service_id: &str,
    address: &str,
    is_default: bool,
    replace: Option<&str>,
    user_id: &str,
) -> anyhow::Result<()> {
    let kind = SenderKind::EmailReplyTo;
    let existing = store::senders(pool, service_id, kind).await?;
    if existing.iter().any(|s| s.value.eq_ignore_ascii_case(address)) {
        return Ok(());
    }
    let replaced = replace.filter(|id| existing.iter().any(|s| s.id == *id));
    match replaced {
        Some(id) => {
            // Already saved, or someone else added it meanwhile: nothing to do.
            let _ = store::update_sender(pool, service_id, kind, id, address, is_default, user_id).await?;
        }
        // The one to replace was deleted meanwhile: the address is added.
        None => {
            let _ = store::add_sender(pool, service_id, kind, address, is_default, user_id).await?;
        }
    }
    Ok(())
}
