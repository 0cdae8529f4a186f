//! Providers' delivery receipts: Amazon SES's through SNS at Notify's own
//! path (`POST /notifications/email/ses`, the SNS message's signature
//! checked, [`super::sns`]), and Firetext's at Notify's own path
//! (`POST /notifications/sms/firetext`, a form of `mobile`, `status`,
//! `time`, `reference`, `code`), authenticated as the inbound endpoint is
//! (HTTP Basic, `notify` and `NOTIFY_INBOUND_SMS_PASSWORD`).
//!
//! Firetext's `status` as Notify maps it: `0` delivered, `1` declined
//! (`permanent-failure`, or `temporary-failure` after a `2`), `2` pending
//! with the network. The `reference` is our notification's id (sent with
//! the message); a reference that is not one of ours is answered as a
//! success with a log line, so Firetext does not send it again and again.

use super::inbound::{authorised, refused};
use crate::AppState;
use app::domain::{NotificationStatus, TemplateType};
use app::ssr::store::{self, ReceiptOutcome};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// A delivery receipt as Firetext posts it (form-encoded).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FiretextReceipt {
    /// Our notification's id, as sent with the message (required).
    #[schema(max_length = 100)]
    reference: String,
    /// `0` delivered, `1` declined, `2` pending with the network (required).
    #[schema(pattern = "^[012]$")]
    status: String,
    /// The detailed reason (`101` unknown subscriber, `102` absent, …).
    code: Option<String>,
    /// The recipient's number.
    mobile: Option<String>,
    /// When Firetext learnt it, `%Y-%m-%d %H:%M:%S`.
    time: Option<String>,
}

/// Firetext's status as Notify maps it.
pub fn firetext_status(status: &str) -> Option<NotificationStatus> {
    match status {
        "0" => Some(NotificationStatus::Delivered),
        "1" => Some(NotificationStatus::PermanentFailure),
        "2" => Some(NotificationStatus::Pending),
        _ => None,
    }
}

/// What Firetext's detailed `code` means (Notify's table), for the log.
pub fn firetext_reason(code: &str) -> Option<&'static str> {
    Some(match code {
        "000" => "No error reported",
        "101" => "Unknown Subscriber",
        "102" => "Absent Subscriber",
        "103" => "Subscriber Busy",
        "104" => "No Subscriber Memory",
        "201" => "Invalid Number",
        "301" | "302" => "SMS Not Supported",
        "401" => "Message Rejected",
        "900" => "Routing Error",
        _ => return None,
    })
}

fn bad_request(messages: Vec<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"result": "error", "message": messages}))).into_response()
}

#[utoipa::path(
    post,
    path = "/notifications/sms/firetext",
    tag = "Providers",
    summary = "A text message's delivery receipt (Firetext's form)",
    description = "Firetext reports here what became of a text message it took: the message's status changes \
        (`delivered`, `permanent-failure`, `pending`, or `temporary-failure` for a decline after pending) and the \
        service's delivery-status callback is sent. A receipt for a message that has its final status already \
        changes nothing. Refused unless `NOTIFY_INBOUND_SMS_PASSWORD` is set.",
    request_body(content = FiretextReceipt, content_type = "application/x-www-form-urlencoded"),
    security(("inboundBasic" = [])),
    responses(
        (status = 200, description = "Recorded (`{\"result\": \"success\"}`), also for a reference that is not one of \
            our messages (logged)."),
        (status = 400, description = "`Firetext callback failed: reference missing` (or `status missing`), or \
            `Firetext callback failed: status {status} not found.`"),
        (status = 401, description = "No Basic credentials."),
        (status = 403, description = "Wrong credentials, or no password configured."),
        (status = 500, description = "The receipt could not be recorded; the provider should try again."),
    )
)]
pub async fn firetext_receipt(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(status) = authorised(&state, &headers) {
        tracing::warn!(target: "security", event = "provider_receipt_refused", status = status.as_u16());
        return refused(status);
    }
    let form: std::collections::HashMap<String, String> =
        form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let field = |name: &str| form.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let missing: Vec<String> = ["status", "reference"]
        .into_iter()
        .filter(|name| field(name).is_none())
        .map(|name| format!("Firetext callback failed: {name} missing"))
        .collect();
    let (Some(status), Some(reference)) = (field("status"), field("reference")) else {
        return bad_request(missing);
    };
    let Some(reported) = firetext_status(status) else {
        let shown: String = status.chars().take(20).collect();
        return bad_request(vec![format!("Firetext callback failed: status {shown} not found.")]);
    };
    let reason = field("code").and_then(firetext_reason);
    if let Err(e) = record(&state, "Firetext", reference, TemplateType::Sms, reported, reason).await {
        tracing::error!(error = ?e, "could not record a delivery receipt");
        return refused(StatusCode::INTERNAL_SERVER_ERROR);
    }
    (StatusCode::OK, Json(json!({"result": "success"}))).into_response()
}

/// An SNS message, as SNS posts it (JSON; AWS's field names).
#[derive(utoipa::ToSchema)]
#[allow(dead_code, non_snake_case)]
pub struct SnsPost {
    /// `Notification`, `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    Type: String,
    MessageId: String,
    /// The topic; must be one of `NOTIFY_SNS_TOPIC_ARNS` when that is set.
    TopicArn: String,
    Subject: Option<String>,
    /// SES's event, as JSON text: a `Bounce`, `Delivery` or `Complaint` of an
    /// email whose `Message-ID` we gave.
    Message: String,
    Timestamp: String,
    /// `1` (SHA-1) or `2` (SHA-256).
    SignatureVersion: String,
    /// Base64 RSA signature of the message's fields.
    Signature: String,
    /// An https URL on `sns.{region}.amazonaws.com`, ending `.pem`.
    SigningCertURL: String,
    SubscribeURL: Option<String>,
    Token: Option<String>,
}

fn ses_refused(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"result": "error", "message": message}))).into_response()
}

#[utoipa::path(
    post,
    path = "/notifications/email/ses",
    tag = "Providers",
    summary = "An email's delivery receipt (Amazon SES through SNS)",
    description = "Amazon SNS posts SES's bounces, deliveries and complaints here. The message's signature is checked \
        against SNS's certificate (its URL must be an https URL on an SNS host). A permanent bounce makes the email \
        `permanent-failure`, any other bounce `temporary-failure`, a delivery `delivered`, a complaint `delivered` with \
        the complaint recorded and shown on the message's page; each final status fires the delivery-status callback. \
        A subscription is confirmed by visiting its `SubscribeURL`. Refused unless `NOTIFY_SES_RECEIPTS` is set.",
    request_body(content = SnsPost, content_type = "application/json"),
    security(()),
    responses(
        (status = 200, description = "Taken (`{\"result\": \"success\"}`), also for an event about no email of ours (logged)."),
        (status = 400, description = "`SES callback failed: not an SNS message`."),
        (status = 403, description = "A bad signature, a certificate URL that is not SNS's, a topic not configured, or \
            SES receipts not enabled."),
        (status = 500, description = "The receipt could not be recorded; SNS should try again."),
        (status = 502, description = "A subscription could not be confirmed with SNS."),
        (status = 503, description = "SNS's certificate could not be fetched; SNS should try again."),
    )
)]
pub async fn ses_receipt(State(state): State<AppState>, body: Bytes) -> Response {
    use super::sns::{read_ses_event, Refusal, SnsMessage};
    let Some(verifier) = state.sns.as_ref() else {
        return ses_refused(StatusCode::FORBIDDEN, "SES receipts are not enabled");
    };
    let Ok(m) = serde_json::from_slice::<SnsMessage>(&body) else {
        return bad_request(vec!["SES callback failed: not an SNS message".to_string()]);
    };
    let topics = state.config.ses_receipts.as_ref().map(|s| s.topic_arns.as_slice()).unwrap_or_default();
    if !topics.is_empty() && !topics.contains(&m.topic_arn) {
        tracing::warn!(target: "security", event = "sns_refused", why = "topic");
        return ses_refused(StatusCode::FORBIDDEN, "not a topic this service takes");
    }
    match verifier.verify(&m).await {
        Ok(()) => {}
        Err(Refusal::NotSns) => {
            tracing::warn!(target: "security", event = "sns_refused", why = "certificate URL");
            return ses_refused(StatusCode::FORBIDDEN, "the signing certificate is not SNS's");
        }
        Err(Refusal::BadSignature) => {
            tracing::warn!(target: "security", event = "sns_refused", why = "signature");
            return ses_refused(StatusCode::FORBIDDEN, "the signature does not verify");
        }
        Err(Refusal::Unavailable(why)) => {
            tracing::warn!(why, "SNS's signing certificate could not be read");
            return ses_refused(StatusCode::SERVICE_UNAVAILABLE, "SNS's certificate could not be read");
        }
    }
    match m.kind.as_str() {
        "SubscriptionConfirmation" => {
            let url = m.subscribe_url.as_deref().unwrap_or_default();
            if let Err(why) = verifier.confirm(url).await {
                tracing::warn!(why, topic = %m.topic_arn, "could not confirm an SNS subscription");
                return ses_refused(StatusCode::BAD_GATEWAY, "the subscription could not be confirmed");
            }
            tracing::info!(topic = %m.topic_arn, "SNS subscription confirmed");
        }
        "Notification" => match read_ses_event(&m.message) {
            Err(what) => tracing::warn!(what, "an SNS notification that changes no email"),
            Ok(report) => {
                if let Some((feedback, at)) = &report.complaint {
                    match store::record_complaint(&state.pool, &report.notification_id, feedback.as_deref(), *at).await
                    {
                        Ok(true) => {
                            tracing::info!(notification_id = %report.notification_id, "a complaint about an email")
                        }
                        Ok(false) => tracing::warn!("a complaint about no email of ours"),
                        Err(e) => {
                            tracing::error!(error = ?e, "could not record a complaint");
                            return refused(StatusCode::INTERNAL_SERVER_ERROR);
                        }
                    }
                }
                if let Err(e) =
                    record(&state, "SES", &report.notification_id, TemplateType::Email, report.status, None).await
                {
                    tracing::error!(error = ?e, "could not record a delivery receipt");
                    return refused(StatusCode::INTERNAL_SERVER_ERROR);
                }
            }
        },
        other => tracing::info!(kind = %other, topic = %m.topic_arn, "an SNS message with nothing to do"),
    }
    (StatusCode::OK, Json(json!({"result": "success"}))).into_response()
}

/// Applies a provider's report and logs what it did.
async fn record(
    state: &AppState,
    provider: &str,
    reference: &str,
    notification_type: TemplateType,
    reported: NotificationStatus,
    reason: Option<&str>,
) -> anyhow::Result<()> {
    match store::record_provider_receipt(&state.pool, reference, notification_type, reported).await? {
        ReceiptOutcome::Updated(now) => {
            tracing::info!(notification_id = %reference, status = %now.as_str(), reason, provider, "delivery receipt");
            if now.is_final() {
                state.callbacks.wake();
            }
        }
        ReceiptOutcome::Ignored(current) => tracing::info!(
            notification_id = %reference,
            current = %current.as_str(),
            reported = %reported.as_str(),
            provider,
            "a delivery receipt for a message whose status it cannot change"
        ),
        ReceiptOutcome::Unknown => {
            // Not ours (or a test key's): the reference is the provider's
            // text, logged only in part.
            let shown: String = reference.chars().take(40).collect();
            tracing::warn!(reference = %shown, provider, "a delivery receipt for no message of ours")
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firetext_statuses_as_notify_maps_them() {
        assert_eq!(firetext_status("0"), Some(NotificationStatus::Delivered));
        assert_eq!(firetext_status("1"), Some(NotificationStatus::PermanentFailure));
        assert_eq!(firetext_status("2"), Some(NotificationStatus::Pending));
        assert_eq!(firetext_status("3"), None);
        assert_eq!(firetext_reason("101"), Some("Unknown Subscriber"));
        assert_eq!(firetext_reason("999"), None);
    }
}
