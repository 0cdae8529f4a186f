//! Amazon SNS's HTTP messages, and their signatures checked as AWS
//! documents: the message's fields in a fixed order, signed with RSA
//! (PKCS#1 v1.5, SHA-1 for `SignatureVersion` 1, SHA-256 for 2) by the key
//! of the X.509 certificate at `SigningCertURL`, which must be an https URL
//! on an SNS host (`sns.{region}.amazonaws.com`) ending `.pem`. Certificates
//! are fetched once and kept; `NOTIFY_SNS_CERTIFICATE` pins one instead
//! (the URL is still checked). No crypto is written here: RustCrypto's
//! `rsa`, `sha1`, `sha2` and `x509-cert` do it.
//!
//! And what SES says inside an SNS notification: which of our emails (by
//! the `Message-ID` we gave it) and what became of it.

use app::domain::{NotificationStatus, Timestamp};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;

/// A message SNS posts to an HTTP(S) subscription.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsMessage {
    #[serde(rename = "Type")]
    pub kind: String,
    pub message_id: String,
    pub topic_arn: String,
    pub subject: Option<String>,
    pub message: String,
    pub timestamp: String,
    pub signature_version: String,
    pub signature: String,
    #[serde(rename = "SigningCertURL")]
    pub signing_cert_url: String,
    #[serde(rename = "SubscribeURL")]
    pub subscribe_url: Option<String>,
    pub token: Option<String>,
}

impl SnsMessage {
    /// The text SNS signed: each field's name and value on their own
    /// lines, in AWS's order; `None` for a type SNS does not send.
    pub fn string_to_sign(&self) -> Option<String> {
        let mut text = String::new();
        let mut add = |name: &str, value: &str| {
            text.push_str(name);
            text.push('\n');
            text.push_str(value);
            text.push('\n');
        };
        match self.kind.as_str() {
            "Notification" => {
                add("Message", &self.message);
                add("MessageId", &self.message_id);
                if let Some(subject) = &self.subject {
                    add("Subject", subject);
                }
                add("Timestamp", &self.timestamp);
                add("TopicArn", &self.topic_arn);
                add("Type", &self.kind);
            }
            "SubscriptionConfirmation" | "UnsubscribeConfirmation" => {
                add("Message", &self.message);
                add("MessageId", &self.message_id);
                add("SubscribeURL", self.subscribe_url.as_deref()?);
                add("Timestamp", &self.timestamp);
                add("Token", self.token.as_deref()?);
                add("TopicArn", &self.topic_arn);
                add("Type", &self.kind);
            }
            _ => return None,
        }
        Some(text)
    }
}

/// `sns.{region}.amazonaws.com` (or `.amazonaws.com.cn`), region one label.
fn is_sns_host(host: &str) -> bool {
    let Some(rest) = host.strip_prefix("sns.") else { return false };
    let region = rest.strip_suffix(".amazonaws.com").or_else(|| rest.strip_suffix(".amazonaws.com.cn"));
    region.is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
}

/// An https URL on an SNS host (default port, no credentials).
pub fn is_sns_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        u.scheme() == "https"
            && u.port().is_none()
            && u.username().is_empty()
            && u.password().is_none()
            && u.host_str().is_some_and(is_sns_host)
    })
}

/// Where SNS's signing certificates may be: an SNS URL of a `.pem` file.
pub fn is_certificate_url(url: &str) -> bool {
    is_sns_url(url) && url::Url::parse(url).is_ok_and(|u| u.path().ends_with(".pem"))
}

/// Why a message was not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The certificate URL is not SNS's.
    NotSns,
    /// The signature does not verify (or the message cannot have one).
    BadSignature,
    /// The certificate could not be fetched or read.
    Unavailable(String),
}

/// The RSA key of a PEM certificate valid now.
pub fn key_from_certificate(pem: &str) -> Result<RsaPublicKey, String> {
    use x509_cert::der::{DecodePem, Encode};
    let certificate =
        x509_cert::Certificate::from_pem(pem.trim().as_bytes()).map_err(|e| format!("certificate: {e}"))?;
    let validity = &certificate.tbs_certificate.validity;
    let now = std::time::SystemTime::now();
    if now < validity.not_before.to_system_time() || now > validity.not_after.to_system_time() {
        return Err("the certificate is not valid now".to_string());
    }
    let spki = certificate.tbs_certificate.subject_public_key_info.to_der().map_err(|e| format!("key: {e}"))?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|e| format!("not an RSA key: {e}"))
}

/// Whether `signature` (base64) is `key`'s over `text` for `version`.
pub fn signature_holds(key: &RsaPublicKey, version: &str, text: &str, signature: &str) -> bool {
    use base64::Engine;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else { return false };
    let Ok(signature) = rsa::pkcs1v15::Signature::try_from(bytes.as_slice()) else { return false };
    match version {
        "1" => rsa::pkcs1v15::VerifyingKey::<sha1::Sha1>::new(key.clone()).verify(text.as_bytes(), &signature).is_ok(),
        "2" => {
            rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key.clone()).verify(text.as_bytes(), &signature).is_ok()
        }
        _ => false,
    }
}

/// Certificates kept at most (SNS uses one per region at a time).
const KEPT_CERTIFICATES: usize = 16;

/// Checks SNS messages' signatures, fetching and keeping certificates.
pub struct SnsVerifier {
    client: reqwest::Client,
    pinned: Option<RsaPublicKey>,
    certificates: Mutex<HashMap<String, RsaPublicKey>>,
}

impl SnsVerifier {
    /// With `pinned_pem`, that certificate's key signs every message.
    pub fn new(pinned_pem: Option<&str>) -> anyhow::Result<Self> {
        let pinned = pinned_pem.map(key_from_certificate).transpose().map_err(|e| anyhow::anyhow!(e))?;
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { client, pinned, certificates: Mutex::default() })
    }

    async fn key(&self, url: &str) -> Result<RsaPublicKey, Refusal> {
        if let Some(key) = &self.pinned {
            return Ok(key.clone());
        }
        if let Some(key) = self.certificates.lock().expect("never poisoned").get(url) {
            return Ok(key.clone());
        }
        let pem = self.get(url, 16 * 1024).await.map_err(Refusal::Unavailable)?;
        let key = key_from_certificate(&pem).map_err(Refusal::Unavailable)?;
        let mut kept = self.certificates.lock().expect("never poisoned");
        if kept.len() >= KEPT_CERTIFICATES {
            kept.clear();
        }
        kept.insert(url.to_string(), key.clone());
        Ok(key)
    }

    /// `GET url`, its body as text (at most `limit` bytes).
    async fn get(&self, url: &str, limit: usize) -> Result<String, String> {
        let mut response = self.client.get(url).send().await.map_err(|e| e.without_url().to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.without_url().to_string())? {
            body.extend_from_slice(&chunk);
            if body.len() > limit {
                return Err("too long".to_string());
            }
        }
        String::from_utf8(body).map_err(|_| "not text".to_string())
    }

    /// Whether SNS signed `m`.
    pub async fn verify(&self, m: &SnsMessage) -> Result<(), Refusal> {
        if !is_certificate_url(&m.signing_cert_url) {
            return Err(Refusal::NotSns);
        }
        let text = m.string_to_sign().ok_or(Refusal::BadSignature)?;
        let key = self.key(&m.signing_cert_url).await?;
        if signature_holds(&key, &m.signature_version, &text, &m.signature) {
            Ok(())
        } else {
            Err(Refusal::BadSignature)
        }
    }

    /// Confirms a subscription by visiting its `SubscribeURL` (SNS's own).
    pub async fn confirm(&self, subscribe_url: &str) -> Result<(), String> {
        if !is_sns_url(subscribe_url) {
            return Err("the SubscribeURL is not SNS's".to_string());
        }
        self.get(subscribe_url, 64 * 1024).await.map(|_| ())
    }
}

/// What SES reported about one of our emails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SesReport {
    /// Our notification's id, from the `Message-ID` we gave the email.
    pub notification_id: String,
    pub status: NotificationStatus,
    /// A complaint: its feedback type, if SES gave one, and when.
    pub complaint: Option<(Option<String>, Timestamp)>,
}

/// Reads SES's event (an SNS notification's `Message`), as Notify maps it:
/// a `Permanent` bounce → `permanent-failure`, any other bounce →
/// `temporary-failure`, a delivery → `delivered`, a complaint → `delivered`
/// with the complaint. `Err`: an event that is not about one of our emails
/// or not one of these (what it was, for the log).
pub fn read_ses_event(message: &str) -> Result<SesReport, String> {
    let event: serde_json::Value = serde_json::from_str(message).map_err(|_| "not JSON".to_string())?;
    let kind = event["notificationType"].as_str().or_else(|| event["eventType"].as_str()).unwrap_or_default();
    let mail = &event["mail"];
    let message_id = mail["commonHeaders"]["messageId"].as_str().or_else(|| {
        mail["headers"]
            .as_array()?
            .iter()
            .find_map(|h| h["name"].as_str().filter(|n| n.eq_ignore_ascii_case("message-id")).and(h["value"].as_str()))
    });
    let notification_id = message_id
        .and_then(|m| m.trim().trim_start_matches('<').split('@').next())
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
        .map(|id| id.to_string())
        .ok_or_else(|| format!("a {kind:?} event for no email of ours"))?;
    let (status, complaint) = match kind {
        "Bounce" => {
            let permanent = event["bounce"]["bounceType"].as_str() == Some("Permanent");
            let status =
                if permanent { NotificationStatus::PermanentFailure } else { NotificationStatus::TemporaryFailure };
            (status, None)
        }
        "Delivery" => (NotificationStatus::Delivered, None),
        "Complaint" => {
            let c = &event["complaint"];
            let feedback = c["complaintFeedbackType"].as_str().map(|t| t.chars().take(50).collect());
            // AWS's ISO 8601 with milliseconds, `2026-12-06T10:00:00.000Z`.
            let at = c["timestamp"]
                .as_str()
                .and_then(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
                .map(Timestamp::from_time)
                .unwrap_or_else(app::ssr::clock::now);
            (NotificationStatus::Delivered, Some((feedback, at)))
        }
        other => return Err(format!("a {other:?} event, not a bounce, delivery or complaint")),
    };
    Ok(SesReport { notification_id, status, complaint })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sns_hosts_serve_certificates() {
        for good in [
            "https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
        ] {
            assert!(is_certificate_url(good), "{good}");
        }
        for bad in [
            "http://sns.eu-west-2.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.eu-west-2.amazonaws.com.evil.example/cert.pem",
            "https://evil.example/sns.eu-west-2.amazonaws.com/cert.pem",
            "https://sns.eu-west-2.amazonaws.com@evil.example/cert.pem",
            "https://x:y@sns.eu-west-2.amazonaws.com/cert.pem",
            "https://sns.eu-west-2.amazonaws.com:8443/cert.pem",
            "https://sns..amazonaws.com/cert.pem",
            "https://sns.eu.west.amazonaws.com/cert.pem",
            "https://s3.eu-west-2.amazonaws.com/cert.pem",
            "https://sns.eu-west-2.amazonaws.com/cert.txt",
            "not a url",
        ] {
            assert!(!is_certificate_url(bad), "{bad}");
        }
    }

    fn ses(kind: &str, extra: serde_json::Value) -> String {
        let mut event = serde_json::json!({
            "notificationType": kind,
            "mail": {"messageId": "0100018c-ses", "commonHeaders": {
                "messageId": "<0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b@notify.example.gov.uk>"}},
        });
        event.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        event.to_string()
    }

    #[test]
    fn ses_events_as_notify_maps_them() {
        let id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
        let bounce =
            |t: &str| read_ses_event(&ses("Bounce", serde_json::json!({"bounce": {"bounceType": t}}))).unwrap();
        assert_eq!(bounce("Permanent").status, NotificationStatus::PermanentFailure);
        assert_eq!(bounce("Transient").status, NotificationStatus::TemporaryFailure);
        assert_eq!(bounce("Undetermined").status, NotificationStatus::TemporaryFailure);
        let delivered = read_ses_event(&ses("Delivery", serde_json::json!({}))).unwrap();
        assert_eq!((delivered.notification_id.as_str(), delivered.status), (id, NotificationStatus::Delivered));
        let complaint = read_ses_event(&ses(
            "Complaint",
            serde_json::json!({"complaint": {"complaintFeedbackType": "abuse", "timestamp": "2026-12-06T10:00:00.000Z"}}),
        ))
        .unwrap();
        assert_eq!(complaint.status, NotificationStatus::Delivered);
        let (feedback, at) = complaint.complaint.unwrap();
        assert_eq!((feedback.as_deref(), at.text().as_str()), (Some("abuse"), "2026-12-06T10:00:00.000000Z"));
        // Event publishing's shape, and the header list instead of commonHeaders.
        let published = serde_json::json!({"eventType": "Delivery", "mail": {"headers": [
            {"name": "Message-ID", "value": format!("<{id}@notify.example.gov.uk>")}]}});
        assert_eq!(read_ses_event(&published.to_string()).unwrap().notification_id, id);
        // Not ours, or not a status.
        let foreign = serde_json::json!({"notificationType": "Delivery", "mail": {"commonHeaders": {"messageId": "<abc@elsewhere>"}}});
        assert!(read_ses_event(&foreign.to_string()).is_err());
        assert!(read_ses_event(&ses("Open", serde_json::json!({}))).is_err());
        assert!(read_ses_event("not json").is_err());
    }

    #[test]
    fn notifications_sign_their_fields_in_awss_order() {
        let m = SnsMessage {
            kind: "Notification".into(),
            message_id: "m-1".into(),
            topic_arn: "arn:aws:sns:eu-west-2:123456789012:ses".into(),
            subject: None,
            message: "{}".into(),
            timestamp: "2026-12-06T10:00:00.000Z".into(),
            signature_version: "2".into(),
            signature: String::new(),
            signing_cert_url: String::new(),
            subscribe_url: None,
            token: None,
        };
        assert_eq!(
            m.string_to_sign().unwrap(),
            "Message\n{}\nMessageId\nm-1\nTimestamp\n2026-12-06T10:00:00.000Z\nTopicArn\narn:aws:sns:eu-west-2:123456789012:ses\nType\nNotification\n"
        );
        let confirmation = SnsMessage { kind: "SubscriptionConfirmation".into(), ..m.clone() };
        assert_eq!(confirmation.string_to_sign(), None, "a confirmation needs its URL and token");
        assert_eq!(SnsMessage { kind: "Other".into(), ..m }.string_to_sign(), None);
    }
}
