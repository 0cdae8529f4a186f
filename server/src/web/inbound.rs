//! Received text messages: the provider's inbound endpoint, modelled on
//! Firetext's (as Notify's `/notifications/sms/receive/firetext`: a form
//! POST of `source`, `destination`, `message` and `time`, HTTP Basic
//! authentication as `notify` with the password from
//! `NOTIFY_INBOUND_SMS_PASSWORD`), and the service's inbox page.

use super::error::PageError;
use super::extract::{ServicePage, ViewMessages};
use crate::AppState;
use app::domain::london_time::datetime_short;
use app::pages::inbox::{Inbox, InboxRow};
use app::ssr::{store, tokens};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::json;

/// Texts the inbox shows.
const INBOX_SIZE: i64 = 100;

/// A UK number as the provider sends it (`447700900500`, `+44…`) as the
/// service's number is kept (`07700900500`): Notify's
/// `strip_leading_forty_four`.
fn national(number: &str) -> String {
    // Read as every other phone number is (spaces, dashes, brackets, `0044`),
    // so a provider writing `07700 900 111` reaches the service whose number
    // is `07700900111`; what does not parse loses its separators only.
    let parsed = app::domain::PhoneNumber::parse(number).map(|p| p.as_str().to_string()).unwrap_or_else(|_| {
        number.chars().filter(|c| !(c.is_whitespace() || matches!(c, '-' | '(' | ')' | '.'))).collect()
    });
    let n = parsed.trim_start_matches('+');
    match n.strip_prefix("44") {
        Some(rest) => format!("0{rest}"),
        None => n.to_string(),
    }
}

pub(crate) fn refused(status: StatusCode) -> Response {
    (status, Json(json!({"result": "error", "message": status.canonical_reason().unwrap_or("")}))).into_response()
}

/// Whether the request carries `notify:{password}` (compared in constant
/// time): a provider's inbound texts and its delivery receipts.
pub(crate) fn authorised(state: &AppState, headers: &HeaderMap) -> Result<(), StatusCode> {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(StatusCode::UNAUTHORIZED);
    };
    let Some(encoded) = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic ")) else {
        return Err(StatusCode::UNAUTHORIZED);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let (user, password) = decoded.split_once(':').ok_or(StatusCode::UNAUTHORIZED)?;
    match &state.config.inbound_sms_password {
        Some(expected) if user == "notify" && tokens::constant_time_eq(password, expected) => Ok(()),
        _ => Err(StatusCode::FORBIDDEN),
    }
}

/// A text message as Firetext posts it (form-encoded).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FiretextMessage {
    /// The sender's number (not blank).
    #[schema(max_length = 32, pattern = "\\S")]
    source: String,
    /// The service's inbound number it was sent to (not blank).
    #[schema(max_length = 32, pattern = "\\S")]
    destination: String,
    /// The text (at most 2,000 characters).
    #[schema(max_length = 2000)]
    message: String,
    /// When the provider received it, `%Y-%m-%d %H:%M:%S` (else now).
    time: Option<String>,
}

#[utoipa::path(
    post,
    path = "/notifications/sms/receive/firetext",
    tag = "Providers",
    summary = "Receive a text message (Firetext's form)",
    description = "A text message provider posts each text sent to a service's inbound number here; the service \
        sees it in its inbox and gets it by callback and through `GET /v2/received-text-messages`. Refused \
        unless `NOTIFY_INBOUND_SMS_PASSWORD` is set.",
    request_body(content = FiretextMessage, content_type = "application/x-www-form-urlencoded"),
    security(("inboundBasic" = [])),
    responses(
        (status = 200, description = "Received (`{\"status\": \"ok\"}`), also when no service has the number."),
        (status = 400, description = "`source, destination and message are required`, or a field too long."),
        (status = 401, description = "No Basic credentials."),
        (status = 403, description = "Wrong credentials, or no password configured."),
        (status = 500, description = "The text could not be recorded; the provider should try again."),
    )
)]
pub async fn receive_firetext(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(status) = authorised(&state, &headers) {
        tracing::warn!(target: "security", event = "inbound_sms_refused", status = status.as_u16());
        return refused(status);
    }
    let form: std::collections::HashMap<String, String> =
        form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let field = |name: &str| form.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let (Some(source), Some(destination), Some(message)) = (field("source"), field("destination"), form.get("message"))
    else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"result": "error", "message": "source, destination and message are required"})),
        )
            .into_response();
    };
    // Characters, as the description's maxLength counts (schemathesis found
    // a 20-character destination refused for its 40 bytes).
    if message.chars().count() > 2_000 || source.chars().count() > 32 || destination.chars().count() > 32 {
        return (StatusCode::BAD_REQUEST, Json(json!({"result": "error", "message": "too long"}))).into_response();
    }
    let user_number = app::domain::PhoneNumber::parse(source)
        .map(|p| p.as_str().trim_start_matches('+').to_string())
        .unwrap_or_else(|_| source.to_string());
    let time = field("time");
    match store::receive_text(&state.pool, &national(destination), &user_number, message, time, None).await {
        Ok(Some(text)) => {
            tracing::info!(service_id = %text.service_id, "text message received");
            state.callbacks.wake();
        }
        // No service has that number: the provider is told it was received
        // all the same (Notify's rule: the mapping is ours to fix).
        Ok(None) => tracing::warn!("text message received for a number no service has"),
        Err(e) => {
            tracing::error!(error = ?e, "could not record a received text message");
            return refused(StatusCode::INTERNAL_SERVER_ERROR);
        }
    }
    (StatusCode::OK, Json(json!({"status": "ok"}))).into_response()
}

/// `/services/{id}/inbox`.
pub async fn inbox(State(state): State<AppState>, ctx: ServicePage<ViewMessages>) -> Result<Response, PageError> {
    let number = store::inbound_number(&state.pool, ctx.id()).await?;
    let rows = store::received_texts(&state.pool, ctx.id(), None, INBOX_SIZE)
        .await?
        .into_iter()
        .map(|t| InboxRow {
            user_number: t.user_number,
            content: t.content,
            received: datetime_short(t.created_at.time()),
        })
        .collect();
    Ok(ctx.show(Inbox { number, rows }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_numbers_become_national() {
        assert_eq!(national("447700900500"), "07700900500");
        assert_eq!(national("+447700900500"), "07700900500");
        assert_eq!(national("07700900500"), "07700900500");
        assert_eq!(national("60123"), "60123");
    }
}
