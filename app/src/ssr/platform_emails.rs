//! Emails this service sends its own users, as Notify sends them: ordinary
//! email notifications of a service of its own ([`PLATFORM_SERVICE_ID`],
//! Notify's `NOTIFY_SERVICE_ID`, made by migration 0025 with its templates),
//! so they go through the same provider, retries, receipts and retention as
//! every other email, and into the built-in outbox where no provider is set
//! up (the demo; the tests read them there).
//!
//! Today: key-usage alerts, to each member of the alert's service who may
//! manage its API integration, once per alert.

use crate::domain::template::fill;
use crate::domain::KeyType;
use crate::ssr::{clock, store};
use anyhow::Context;

/// The service whose notifications are this service's own emails.
pub const PLATFORM_SERVICE_ID: &str = "d6aa2c68-a2d9-4437-ab19-3ae8eb202553";

/// "Unusual use of an API key for ((service_name))".
pub const KEY_ALERT_TEMPLATE_ID: &str = "8a31520f-4751-4789-8ea1-fe54496725eb";

/// "((user_name)) has invited you to collaborate on ((service_name))"
/// (migration 0027).
pub const INVITATION_TEMPLATE_ID: &str = "4f46df42-f795-4cc4-83bb-65ca312f49cc";

/// "Your reply-to email address for ((service_name))" (migration 0026).
pub const REPLY_TO_CHECK_TEMPLATE_ID: &str = "a42aa4a1-3a6c-4ee8-8a15-06f8dcb5d2a4";

/// One of the platform's messages (an email, or a text message) to
/// `recipient`, from `template`, its
/// placeholders filled from `values` (which are also its personalisation,
/// with `extra` beside them).
fn platform_email(
    template: &store::Template,
    recipient: &str,
    values: &[(&str, String)],
    extra: serde_json::Map<String, serde_json::Value>,
    reference: Option<String>,
) -> store::NewNotification {
    let value = |name: &str| values.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    let mut personalisation = extra;
    // A link can carry a single-use token (an invitation's), and a code is
    // a secret: they are kept in the email's body only, not again in its
    // personalisation.
    for (k, v) in values.iter().filter(|(k, _)| *k != "url" && *k != "code") {
        personalisation.insert(k.to_string(), serde_json::Value::String(v.clone()));
    }
    store::NewNotification {
        id: uuid::Uuid::now_v7().to_string(),
        service_id: PLATFORM_SERVICE_ID.to_string(),
        api_key_id: None,
        key_type: KeyType::Normal,
        template_id: template.id.clone(),
        template_version: template.version,
        notification_type: template.template_type,
        recipient: recipient.to_string(),
        client_reference: reference,
        personalisation: serde_json::Value::Object(personalisation).to_string(),
        subject: template.subject.as_deref().map(|s| fill(s, &value)),
        body: fill(&template.content, &value),
        postage: None,
        created_at: clock::now(),
        reply_to: None,
        one_click_unsubscribe_url: None,
        job: None,
    }
}

/// Sends the platform's email from template `template_id` to `recipient`
/// (stored now; the delivery worker sends it): its notification's id.
pub async fn send(
    pool: &store::Store,
    template_id: &str,
    recipient: &str,
    values: &[(&str, String)],
    extra: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<String> {
    let template = store::get_platform_template(pool, template_id)
        .await?
        .with_context(|| format!("the platform template {template_id} is missing"))?;
    let email = platform_email(&template, recipient, values, extra, None);
    store::create_notifications(pool, &[&email]).await?;
    Ok(email.id)
}

/// Sends the platform's text message from template `template_id` to the
/// phone number `to` (stored now; the delivery worker sends it through the
/// text message provider): its notification's id. The placeholders'
/// values (security codes) are in the message only, never in its
/// personalisation.
pub async fn send_text(
    pool: &store::Store,
    template_id: &str,
    to: &str,
    values: &[(&str, String)],
) -> anyhow::Result<String> {
    let template = store::get_platform_template(pool, template_id)
        .await?
        .with_context(|| format!("the platform template {template_id} is missing"))?;
    let number = crate::domain::PhoneNumber::parse(to).map_err(|e| anyhow::anyhow!("{}", e.message("phone number")))?;
    let text = platform_email(&template, number.as_str(), values, Default::default(), None);
    store::create_notifications(pool, &[&text]).await?;
    Ok(text.id)
}

/// Alerts emailed in one transaction at most.
const ALERTS_AT_ONCE: i64 = 50;

/// Emails every alert not emailed yet to the members of its service who may
/// manage its API integration (an alert with none is marked emailed all the
/// same): the emails and the mark in one transaction, so each alert is
/// emailed once. `base_url` makes the link to the service's API
/// integration. Returns how many emails it queued.
pub async fn email_key_alerts(pool: &store::Store, base_url: &str) -> anyhow::Result<usize> {
    let mut queued = 0;
    loop {
        let alerts = store::alerts_to_email(pool, ALERTS_AT_ONCE).await?;
        if alerts.is_empty() {
            return Ok(queued);
        }
        let template = store::get_platform_template(pool, KEY_ALERT_TEMPLATE_ID)
            .await?
            .context("the key-usage alert template is missing (migration 0025)")?;
        let mut emails = Vec::new();
        for alert in &alerts {
            let url = format!("{}/services/{}/api", base_url.trim_end_matches('/'), alert.service_id);
            let values = [("service_name", alert.service_name.clone()), ("alert", alert.detail.clone()), ("url", url)];
            for recipient in &alert.recipients {
                let reference = Some(format!("key-alert-{}", alert.id));
                emails.push(platform_email(&template, recipient, &values, Default::default(), reference));
            }
        }
        let ids: Vec<i64> = alerts.iter().map(|a| a.id).collect();
        store::record_alert_emails(pool, &ids, &emails).await?;
        queued += emails.len();
        if (alerts.len() as i64) < ALERTS_AT_ONCE {
            return Ok(queued);
        }
    }
}
