//! Text messages through Firetext's API (the provider Notify uses): live
//! and team keys' texts posted to `NOTIFY_FIRETEXT_URL` as Notify's
//! Firetext client posts them, a form of `apiKey`, `from` (the sender the
//! send chose), `to` (international, without `+`), `message` (the rendered
//! text), `reference` (our notification's id, which Firetext's delivery
//! receipt carries back) and, when configured, `receipt` (where Firetext
//! sends it).
//!
//! What Firetext answers decides the status:
//! - `{"code": 0, …}`: taken, `sending` until its delivery receipt
//!   (`POST /notifications/sms/firetext`, `web::receipts`), or
//!   `temporary-failure` when none comes for 72 hours;
//! - any other answer (another code, an HTTP error, no answer): offered
//!   again after a growing wait ([`super::delivery::retry_after`]), and
//!   after [`super::delivery::RETRY_FOR`] since it was sent,
//!   `technical-failure` (Notify's meaning: it was never handed over);
//! - a recipient that is not a phone number could never be sent:
//!   `permanent-failure` at once.

use super::delivery::{next_offer, DeliveryProvider};
use crate::config::FiretextSettings;
use app::domain::{NotificationStatus, PhoneNumber};
use app::ssr::store::{self, DeliveryOutcome, Store};

/// How long one request to Firetext may take (Notify's client waits 60 s;
/// a message not taken by then is offered again).
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// At most this much of Firetext's answer is read.
const ANSWER_LIMIT: usize = 64 * 1024;

pub struct FiretextSms {
    client: reqwest::Client,
    settings: FiretextSettings,
}

/// Why Firetext did not take a message (kept out of logs: nothing secret in
/// it, but not the request, which carries the key).
#[derive(Debug)]
enum Refusal {
    /// No answer: the connection, a timeout.
    Unreachable(String),
    /// An HTTP status other than success.
    Http(u16),
    /// An answer that is not Firetext's JSON, or a code other than 0.
    Answer(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable(e) => write!(f, "no answer: {e}"),
            Self::Http(status) => write!(f, "HTTP {status}"),
            Self::Answer(what) => write!(f, "refused: {what}"),
        }
    }
}

impl FiretextSms {
    pub fn new(settings: &FiretextSettings) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(std::time::Duration::from_secs(10))
            .pool_max_idle_per_host(settings.concurrency)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { client, settings: settings.clone() })
    }

    /// The form Firetext is posted for `n` (its recipient already read).
    fn form(&self, n: &store::Notification, to: &PhoneNumber) -> String {
        let from = n.reply_to.as_deref().filter(|s| !s.is_empty()).unwrap_or(app::domain::sms_sender::DEFAULT_SENDER);
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("apiKey", &self.settings.api_key)
            .append_pair("from", from)
            .append_pair("to", to.as_str().trim_start_matches('+'))
            .append_pair("message", &n.body)
            .append_pair("reference", &n.id);
        if let Some(receipt) = &self.settings.receipt_url {
            form.append_pair("receipt", receipt);
        }
        form.finish()
    }

    async fn post(&self, body: String) -> Result<(), Refusal> {
        let response = self
            .client
            .post(&self.settings.url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| Refusal::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(Refusal::Http(status.as_u16()));
        }
        let answer = read_limited(response).await.map_err(|e| Refusal::Unreachable(e.without_url().to_string()))?;
        accepted(&answer).map_err(Refusal::Answer)
    }

    async fn send(&self, n: &store::Notification) -> anyhow::Result<DeliveryOutcome> {
        let finished = |status| DeliveryOutcome::Finished { status, outbox: false };
        let Ok(to) = PhoneNumber::parse(&n.recipient) else {
            tracing::warn!(notification_id = %n.id, "a text message to a number no provider could take");
            return Ok(finished(NotificationStatus::PermanentFailure));
        };
        Ok(match self.post(self.form(n, &to)).await {
            Ok(()) => DeliveryOutcome::Sending,
            Err(why) => match next_offer(n.created_at, n.provider_attempts, app::ssr::clock::now()) {
                Some(at) => {
                    tracing::info!(notification_id = %n.id, why = %why, next = %at, "Firetext did not take a text message: offered again later");
                    DeliveryOutcome::RetryAt(at)
                }
                None => {
                    tracing::warn!(notification_id = %n.id, why = %why, "a text message Firetext did not take for 24 hours");
                    finished(NotificationStatus::TechnicalFailure)
                }
            },
        })
    }
}

/// The body of `response`, at most [`ANSWER_LIMIT`] bytes of it.
async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = ANSWER_LIMIT.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= ANSWER_LIMIT {
            break;
        }
    }
    Ok(body)
}

/// Whether Firetext's answer says it took the message: JSON with `code` 0
/// (a number or `"0"`). Otherwise what it said instead.
fn accepted(answer: &[u8]) -> Result<(), String> {
    let value: serde_json::Value =
        serde_json::from_slice(answer).map_err(|_| "an answer that is not JSON".to_string())?;
    let code = match &value["code"] {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match code {
        Some(0) => Ok(()),
        _ => {
            let description: String = value["description"].as_str().unwrap_or_default().chars().take(200).collect();
            Err(format!("code {} ({description})", value["code"]))
        }
    }
}

impl DeliveryProvider for FiretextSms {
    fn deliver<'a>(
        &'a self,
        _pool: &'a Store,
        n: &'a store::Notification,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<DeliveryOutcome>> + Send + 'a>> {
        Box::pin(self.send(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_code_zero_is_taken() {
        assert!(accepted(br#"{"code":0,"description":"SMS successfully queued"}"#).is_ok());
        assert!(accepted(br#"{"code":"0","description":"SMS successfully queued"}"#).is_ok());
        for refused in [
            &br#"{"code":1,"description":"Authentication error"}"#[..],
            br#"{"description":"no code"}"#,
            br#"{"code":null}"#,
            b"<html>Service unavailable</html>",
            b"",
        ] {
            assert!(accepted(refused).is_err(), "{}", String::from_utf8_lossy(refused));
        }
        let why = accepted(br#"{"code":3,"description":"Invalid number"}"#).unwrap_err();
        assert!(why.contains('3') && why.contains("Invalid number"), "{why}");
    }
}
