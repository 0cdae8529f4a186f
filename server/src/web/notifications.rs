//! The hub's message log and the page of one notification.

use super::error::PageError;
use super::extract::{ServicePage, ViewMessages};
use crate::AppState;
use app::domain::london_time::datetime_short;
use app::domain::relative_time::relative;
use app::domain::Timestamp;
use app::pages::api_hub::{LogItem, MessageLog};
use app::pages::notifications::NotificationView;
use app::ssr::{clock, store};
use app::view_model::{capitalise, ServiceContext};
use axum::extract::{Path, State};
use axum::response::Response;

pub const LOG_SIZE: i64 = 50;

fn show_time(t: Timestamp) -> String {
    datetime_short(t.time())
}

/// The last 50 notifications sent through the API, newest first.
pub async fn message_log(state: &AppState, service: &ServiceContext) -> Result<MessageLog, PageError> {
    use super::extract::PageAccess;
    let can_view = ViewMessages::ANY_OF.iter().any(|p| service.can(*p));
    let now = clock::now();
    let entries = store::message_log(&state.pool, &service.service.id, LOG_SIZE).await?;
    let full = entries.len() as i64 == LOG_SIZE;
    let items = entries
        .into_iter()
        .map(|e| {
            let seconds = (now - e.created_at).whole_seconds();
            let kind = e.notification_type;
            let mut details: Vec<(&'static str, String)> = vec![("id", e.id.clone())];
            if let Some(r) = e.client_reference.clone().filter(|r| !r.is_empty()) {
                details.push(("client_reference", r));
            }
            details.push(("notification_type", kind.as_str().to_string()));
            details.push(("created_at", e.created_at.text()));
            if let Some(u) = e.updated_at {
                details.push(("updated_at", u.text()));
            }
            if let Some(s) = e.sent_at {
                details.push(("sent_at", s.text()));
            }
            details.push(("status", e.status.shown(kind).to_string()));
            details.push(("callback", e.callback_outcome().to_string()));
            let view_link = Some(kind)
                .filter(|_| can_view)
                .map(|k| (format!("View {}", k.message_noun()), service.path(&format!("/notification/{}", e.id))));
            LogItem {
                recipient: e.recipient.lines().next().unwrap_or("").to_string(),
                key_name: e.key_name.unwrap_or_default(),
                when: relative(seconds),
                created_at: e.created_at.text(),
                details: details.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                view_link,
                id: e.id,
            }
        })
        .collect();
    let retention = store::retention(&state.pool, &service.service.id).await?.sentence();
    Ok(MessageLog { items, full, retention })
}

pub async fn notification(
    State(state): State<AppState>,
    ctx: ServicePage<ViewMessages>,
    Path((_, notification_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let service_id = ctx.id();
    if uuid::Uuid::parse_str(&notification_id).is_err() {
        return Err(PageError::NotFound);
    }
    // A precompiled letter's check before the letter itself: the checker
    // commits both together, so a check seen here means the status read next
    // is the one after it (read the other way round, a page could show the
    // page count of a checked file beside the status from before the check).
    let check = store::letter_check(&state.pool, service_id, &notification_id).await?;
    let n = store::get_notification(&state.pool, service_id, &notification_id).await?.ok_or(PageError::NotFound)?;
    let kind = n.notification_type;
    let key_name = match &n.api_key_id {
        Some(id) => store::get_api_key(&state.pool, service_id, id).await?.map(|k| k.name).unwrap_or_default(),
        None => String::new(),
    };
    let template_name = store::get_template_version(&state.pool, service_id, &n.template_id, n.template_version)
        .await?
        .map(|t| t.name)
        .unwrap_or_default();
    let delivered_by_outbox = store::outbox_message(&state.pool, &n.id).await?.is_some();
    let letter_problem = check
        .as_ref()
        .and_then(|(count, reason, pages)| reason.as_deref().map(|r| crate::letters::refusal_text(r, *count, pages)));
    let pdf_ready = crate::letters::pdf_refusal(&n).is_none();
    Ok(ctx.show(NotificationView {
        kind,
        status: capitalise(&n.status.shown(kind).replace('-', " ")),
        key_name,
        reference: n.client_reference.clone(),
        template_name,
        template_version: n.template_version,
        created_at: show_time(n.created_at),
        sent_at: n.sent_at.map(show_time),
        subject: n.subject.clone(),
        body: n.body.clone(),
        recipient: n.recipient.clone(),
        delivered_by_outbox,
        relay_accepted: kind == app::domain::TemplateType::Email
            && n.status == app::domain::NotificationStatus::Delivered
            && n.key_type != app::domain::KeyType::Test
            && !delivered_by_outbox,
        complaints: store::complaints(&state.pool, service_id, &n.id)
            .await?
            .into_iter()
            .map(|c| (show_time(c.complained_at), c.complaint_type))
            .collect(),
        awaiting_receipt: kind != app::domain::TemplateType::Letter
            && matches!(n.status, app::domain::NotificationStatus::Sending | app::domain::NotificationStatus::Pending)
            && n.key_type != app::domain::KeyType::Test,
        reply_to: n.reply_to.clone(),
        pdf_link: pdf_ready.then(|| ctx.service.path(&format!("/notification/{}/pdf", n.id))),
        precompiled_pages: check.map(|(count, _, _)| count),
        letter_problem,
        back: match &n.job_id {
            Some(job_id) => ctx.service.path(&format!("/jobs/{job_id}")),
            None if ctx.service.can(app::domain::Permission::ManageApiKeys) => ctx.service.path("/api"),
            None => ctx.service.path(""),
        },
    }))
}

/// `/services/{id}/notification/{notification_id}/pdf`: a letter's PDF, as
/// the API gives it; 404 for anything else or while it is not ready.
pub async fn notification_pdf(
    State(state): State<AppState>,
    ctx: ServicePage<ViewMessages>,
    Path((_, notification_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    use axum::response::IntoResponse;
    let service_id = ctx.id();
    let notification_id = notification_id.as_str();
    uuid::Uuid::parse_str(notification_id).map_err(|_| PageError::NotFound)?;
    let n = store::get_notification(&state.pool, service_id, notification_id).await?.ok_or(PageError::NotFound)?;
    match crate::letters::letter_pdf(&state.pool, &n).await? {
        crate::letters::LetterPdf::Ready(pdf) => Ok((
            [
                (axum::http::header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"letter-{notification_id}.pdf\""),
                ),
            ],
            pdf,
        )
            .into_response()),
        _ => Err(PageError::NotFound),
    }
}
