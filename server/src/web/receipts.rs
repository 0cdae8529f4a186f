//! Providers' delivery receipts: Firetext's at Notify's own path
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
    match store::record_provider_receipt(&state.pool, reference, TemplateType::Sms, reported).await {
        Ok(ReceiptOutcome::Updated(now)) => {
            tracing::info!(notification_id = %reference, status = %now.as_str(), reason, "delivery receipt from Firetext");
            if now.is_final() {
                state.callbacks.wake();
            }
        }
        Ok(ReceiptOutcome::Ignored(current)) => tracing::info!(
            notification_id = %reference,
            current = %current.as_str(),
            reported = %reported.as_str(),
            "a delivery receipt for a message whose status it cannot change"
        ),
        Ok(ReceiptOutcome::Unknown) => {
            // Not ours (or a test key's): the reference itself is not logged
            // whole, it is the provider's text.
            let shown: String = reference.chars().take(40).collect();
            tracing::warn!(reference = %shown, "a delivery receipt from Firetext for no text message of ours")
        }
        Err(e) => {
            tracing::error!(error = ?e, "could not record a delivery receipt");
            return refused(StatusCode::INTERNAL_SERVER_ERROR);
        }
    }
    (StatusCode::OK, Json(json!({"result": "success"}))).into_response()
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
