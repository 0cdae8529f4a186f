//! Email over SMTP: live and team keys' emails handed to a relay
//! (`NOTIFY_SMTP_URL`), as Notify sends them: `multipart/alternative` with a
//! plain-text part and an HTML part rendered from the template's Markdown,
//! from `{service's local part}@{NOTIFY_EMAIL_FROM_DOMAIN}` with the
//! service's name, the send's reply-to address, and a `Message-ID` made
//! from the notification's id (so a bounce, or a duplicate after a crash
//! mid-send, can be matched to it).
//!
//! What the relay answers decides the status:
//! - accepted: `delivered` (with no delivery receipts configured, the
//!   relay's acceptance is the last news there will be);
//! - a permanent refusal (5xx, at `RCPT` or `DATA`): `permanent-failure`;
//! - a refusal that may pass (4xx) or no relay reachable: offered again
//!   after a growing wait ([`retry_after`]), and after [`RETRY_FOR`] since
//!   it was sent, `temporary-failure`.
//!
//! Every status change fires the delivery-status callback, as any other.

use super::delivery::DeliveryProvider;
use crate::config::SmtpSettings;
use app::domain::{email_body, NotificationStatus, Timestamp};
use app::ssr::store::{self, DeliveryOutcome, Pool};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::collections::HashMap;
use std::sync::Mutex;
use time::Duration;

/// How long an email is offered again after refusals that may pass.
pub const RETRY_FOR: Duration = Duration::hours(24);

/// The wait before the next offer, after `attempts` refusals that may
/// pass: 30 s, 1, 2, 5, 10 and 30 minutes, then every hour.
pub fn retry_after(attempts: i64) -> Duration {
    match attempts {
        ..=0 => Duration::seconds(30),
        1 => Duration::minutes(1),
        2 => Duration::minutes(2),
        3 => Duration::minutes(5),
        4 => Duration::minutes(10),
        5 => Duration::minutes(30),
        _ => Duration::hours(1),
    }
}

/// What to do with an email the relay did not take: `None`, give up
/// (`temporary-failure`); otherwise when to offer it again (never past
/// [`RETRY_FOR`] after it was sent).
pub fn next_offer(created_at: Timestamp, attempts_before: i64, now: Timestamp) -> Option<Timestamp> {
    let give_up = created_at + RETRY_FOR;
    (now < give_up).then(|| (now + retry_after(attempts_before)).min(give_up))
}

/// How long a service's name is used before it is read again.
const NAME_TTL: std::time::Duration = std::time::Duration::from_secs(60);

pub struct SmtpEmail {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from_domain: String,
    /// Services' names (the From's display name), read again after
    /// [`NAME_TTL`] so a renamed service is seen without a restart.
    names: Mutex<HashMap<String, (String, std::time::Instant)>>,
}

impl SmtpEmail {
    pub fn new(settings: &SmtpSettings) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)
            // The URL may hold a password: not in the error.
            .map_err(|_| anyhow::anyhow!("NOTIFY_SMTP_URL is not an SMTP URL"))?
            .pool_config(PoolConfig::new().max_size(settings.concurrency as u32))
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        Ok(Self { transport, from_domain: settings.from_domain.clone(), names: Mutex::default() })
    }

    async fn service_name(&self, pool: &Pool, service_id: &str) -> anyhow::Result<String> {
        if let Some((name, read)) = self.names.lock().expect("never poisoned").get(service_id) {
            if read.elapsed() < NAME_TTL {
                return Ok(name.clone());
            }
        }
        let name = store::get_service(pool, service_id).await?.map(|s| s.name).unwrap_or_default();
        self.names
            .lock()
            .expect("never poisoned")
            .insert(service_id.to_string(), (name.clone(), std::time::Instant::now()));
        Ok(name)
    }

    /// The email for `n`, or why it cannot be one (an address the relay
    /// could never take).
    fn message(&self, n: &store::Notification, service_name: &str) -> Result<Message, String> {
        let local = app::domain::email::local_part_for_service(service_name);
        let from_address = format!("{local}@{}", self.from_domain).parse().map_err(|e| format!("from: {e}"))?;
        let to = n.recipient.parse::<Mailbox>().map_err(|e| format!("to: {e}"))?;
        let subject = n.subject.clone().unwrap_or_default();
        let mut builder = Message::builder()
            .from(Mailbox::new(Some(service_name.to_string()), from_address))
            .to(to)
            .subject(subject.clone())
            .message_id(Some(format!("<{}@{}>", n.id, self.from_domain)));
        if let Some(reply_to) = n.reply_to.as_deref().filter(|r| !r.is_empty()) {
            builder = builder.reply_to(reply_to.parse().map_err(|e| format!("reply-to: {e}"))?);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                email_body::plain_text(&n.body),
                email_body::html_document(service_name, &subject, &n.body),
            ))
            .map_err(|e| format!("message: {e}"))
    }

    async fn send(&self, pool: &Pool, n: &store::Notification) -> anyhow::Result<DeliveryOutcome> {
        let finished = |status| DeliveryOutcome::Finished { status, outbox: false };
        let name = self.service_name(pool, &n.service_id).await?;
        let message = match self.message(n, &name) {
            Ok(m) => m,
            Err(why) => {
                tracing::warn!(notification_id = %n.id, why, "an email that no relay could take");
                return Ok(finished(NotificationStatus::PermanentFailure));
            }
        };
        Ok(match self.transport.send(message).await {
            Ok(_) => finished(NotificationStatus::Delivered),
            Err(e) if e.is_permanent() => {
                tracing::info!(notification_id = %n.id, status = ?e.status(), "the relay refused an email for good");
                finished(NotificationStatus::PermanentFailure)
            }
            Err(e) => match next_offer(n.created_at, n.provider_attempts, app::ssr::clock::now()) {
                Some(at) => {
                    tracing::info!(notification_id = %n.id, status = ?e.status(), error = %e, next = %at, "the relay did not take an email: offered again later");
                    DeliveryOutcome::RetryAt(at)
                }
                None => {
                    tracing::warn!(notification_id = %n.id, error = %e, "an email the relay did not take for 24 hours");
                    finished(NotificationStatus::TemporaryFailure)
                }
            },
        })
    }
}

impl DeliveryProvider for SmtpEmail {
    fn deliver<'a>(
        &'a self,
        pool: &'a Pool,
        n: &'a store::Notification,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<DeliveryOutcome>> + Send + 'a>> {
        Box::pin(self.send(pool, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_and_stop_at_a_day() {
        let sent = Timestamp::parse("2026-12-06T10:00:00.000000Z").unwrap();
        assert_eq!(next_offer(sent, 0, sent), Some(sent + Duration::seconds(30)));
        assert_eq!(next_offer(sent, 3, sent + Duration::hours(1)), Some(sent + Duration::minutes(65)));
        // Never past the day, and nothing after it.
        let late = sent + Duration::hours(24) - Duration::minutes(10);
        assert_eq!(next_offer(sent, 9, late), Some(sent + RETRY_FOR));
        assert_eq!(next_offer(sent, 9, sent + RETRY_FOR), None);
        let waits: Vec<Duration> = (0..8).map(retry_after).collect();
        assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
    }
}
