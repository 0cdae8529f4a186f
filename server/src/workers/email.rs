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
//!   relay's acceptance is the last news there will be); with SES's
//!   receipts (`NOTIFY_SES_RECEIPTS`), `sending` until the receipt;
//! - a permanent refusal (5xx, at `RCPT` or `DATA`): `permanent-failure`;
//! - a refusal that may pass (4xx) or no relay reachable: offered again
//!   after a growing wait ([`super::delivery::retry_after`]), and after
//!   [`super::delivery::RETRY_FOR`] since
//!   it was sent, `temporary-failure`.
//!
//! Every status change fires the delivery-status callback, as any other.

use super::delivery::{next_offer, DeliveryProvider};
use crate::config::SmtpSettings;
use app::domain::{email_body, NotificationStatus};
use app::ssr::store::{self, DeliveryOutcome, Store};
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a service's name is used before it is read again.
const NAME_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// How emails reach the relay: our own `TCP_NODELAY` connections for
/// `smtp://` relays ([`super::smtp_pool`]), lettre's pool for `smtps://`.
enum Transport {
    Nodelay(super::smtp_pool::NodelayPool),
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
}

impl Transport {
    async fn send(&self, message: Message) -> Result<(), super::smtp_pool::SendError> {
        match self {
            Self::Nodelay(pool) => pool.send(&message).await.map(|_| ()),
            Self::Lettre(transport) => transport.send(message).await.map(|_| ()).map_err(Into::into),
        }
    }
}

pub struct SmtpEmail {
    transport: Transport,
    from_domain: String,
    /// Delivery receipts come (SES through SNS): an email the relay took is
    /// `sending` until its receipt, not `delivered`.
    receipts: bool,
    /// Services' names (the From's display name), read again after
    /// [`NAME_TTL`] so a renamed service is seen without a restart.
    names: Mutex<HashMap<String, (String, std::time::Instant)>>,
}

impl SmtpEmail {
    pub fn new(settings: &SmtpSettings, receipts: bool) -> anyhow::Result<Self> {
        let timeout = std::time::Duration::from_secs(30);
        let transport = match super::smtp_pool::Relay::from_url(&settings.url) {
            Some(relay) => Transport::Nodelay(super::smtp_pool::NodelayPool::new(relay, settings.concurrency, timeout)),
            None => Transport::Lettre(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)
                    // The URL may hold a password: not in the error.
                    .map_err(|_| anyhow::anyhow!("NOTIFY_SMTP_URL is not an SMTP URL"))?
                    .pool_config(PoolConfig::new().max_size(settings.concurrency as u32))
                    .timeout(Some(timeout))
                    .build(),
            ),
        };
        Ok(Self { transport, from_domain: settings.from_domain.clone(), receipts, names: Mutex::default() })
    }

    async fn service_name(&self, pool: &Store, service_id: &str) -> anyhow::Result<String> {
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
        // One-click unsubscribe (RFC 8058) when the send gave a link: read
        // as a URL again, so the header holds only its serialised form (no
        // spaces, angle brackets or line breaks a value could smuggle in).
        if let Some(link) = n.one_click_unsubscribe_url.as_deref().and_then(unsubscribe_link) {
            builder = builder.header(ListUnsubscribe(link)).header(ListUnsubscribePost);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                email_body::plain_text(&n.body),
                email_body::html_document(service_name, &subject, &n.body),
            ))
            .map_err(|e| format!("message: {e}"))
    }

    async fn send(&self, pool: &Store, n: &store::Notification) -> anyhow::Result<DeliveryOutcome> {
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
            Ok(_) if self.receipts => DeliveryOutcome::Sending,
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

/// The send's one-click unsubscribe link as a header may carry it: an https
/// URL, serialised (percent-encoded) by the URL parser; `None` otherwise.
pub fn unsubscribe_link(given: &str) -> Option<String> {
    let url = url::Url::parse(given.trim()).ok()?;
    (url.scheme() == "https" && url.host().is_some() && url.as_str().len() <= 2_000).then(|| url.to_string())
}

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.trim().trim_start_matches('<').trim_end_matches('>').to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

impl DeliveryProvider for SmtpEmail {
    fn deliver<'a>(
        &'a self,
        pool: &'a Store,
        n: &'a store::Notification,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<DeliveryOutcome>> + Send + 'a>> {
        Box::pin(self.send(pool, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unsubscribe_links_are_https_urls() {
        assert_eq!(
            unsubscribe_link("https://example.gov.uk/unsubscribe?u=1").as_deref(),
            Some("https://example.gov.uk/unsubscribe?u=1")
        );
        assert_eq!(unsubscribe_link("http://example.gov.uk/u"), None);
        assert_eq!(unsubscribe_link("https://"), None);
        assert_eq!(unsubscribe_link("not a url"), None);
    }

    proptest! {
        /// Whatever the send gave, the header's value is one line with no
        /// spaces or angle brackets: nothing can end it early or add a header.
        #[test]
        fn unsubscribe_links_cannot_break_the_header(path in "\\PC*", query in "\\PC*") {
            let given = format!("https://example.gov.uk/{path}?{query}\r\nBcc: someone@example.com");
            if let Some(link) = unsubscribe_link(&given) {
                prop_assert!(!link.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>'), "{link:?}");
            }
        }
    }
}
