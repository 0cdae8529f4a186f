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
use crate::domain::{KeyType, TemplateType};
use crate::ssr::{clock, store};
use anyhow::Context;

/// The service whose notifications are this service's own emails.
pub const PLATFORM_SERVICE_ID: &str = "d6aa2c68-a2d9-4437-ab19-3ae8eb202553";

/// "Unusual use of an API key for ((service_name))".
pub const KEY_ALERT_TEMPLATE_ID: &str = "8a31520f-4751-4789-8ea1-fe54496725eb";

/// Alerts emailed in one transaction at most.
const ALERTS_AT_ONCE: i64 = 50;

/// Emails every alert not emailed yet to the members of its service who may
/// manage its API integration (an alert with none is marked emailed all the
/// same): the emails and the mark in one transaction, so each alert is
/// emailed once. `base_url` makes the link to the service's API
/// integration. Returns how many emails it queued.
pub async fn email_key_alerts(pool: &store::Pool, base_url: &str) -> anyhow::Result<usize> {
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
            let value = |name: &str| match name {
                "service_name" => Some(alert.service_name.clone()),
                "alert" => Some(alert.detail.clone()),
                "url" => Some(url.clone()),
                _ => None,
            };
            let subject = template.subject.as_deref().map(|s| fill(s, &value));
            let body = fill(&template.content, &value);
            let personalisation =
                serde_json::json!({"service_name": alert.service_name, "alert": alert.detail, "url": url}).to_string();
            for recipient in &alert.recipients {
                emails.push(store::NewNotification {
                    id: uuid::Uuid::now_v7().to_string(),
                    service_id: PLATFORM_SERVICE_ID.to_string(),
                    api_key_id: None,
                    key_type: KeyType::Normal,
                    template_id: template.id.clone(),
                    template_version: template.version,
                    notification_type: TemplateType::Email,
                    recipient: recipient.clone(),
                    client_reference: Some(format!("key-alert-{}", alert.id)),
                    personalisation: personalisation.clone(),
                    subject: subject.clone(),
                    body: body.clone(),
                    postage: None,
                    created_at: clock::now(),
                    reply_to: None,
                    one_click_unsubscribe_url: None,
                });
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
