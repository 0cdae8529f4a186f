//! The v2 reading endpoints: notifications, templates, previews and
//! received text messages.

use super::auth::Caller;
use super::error::ApiError;
use super::schema;
use super::send::{missing_fields, render};
use super::{base_url, json_body};
use crate::AppState;
use app::domain::template::{normalise_newlines, too_long_message, RENDER_LIMIT_BYTES};
use app::domain::NotificationStatus;
use app::domain::Timestamp;
use app::domain::{template_fields, TemplateType};
use app::ssr::store;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};

pub const PAGE_SIZE: i64 = 250;

pub fn notification_json(state: &AppState, n: &store::Notification) -> schema::Notification {
    let base = base_url(state);
    let is = |t: &str| n.notification_type.as_str() == t;
    // Only a letter's address is read from its personalisation (which may
    // hold megabytes for an email).
    let personalisation: Map<String, Value> =
        if is("letter") { serde_json::from_str(&n.personalisation).unwrap_or_default() } else { Map::new() };
    // An address line as text, whatever JSON it was given as.
    let field = |name: &str| match personalisation.get(name).filter(|_| is("letter")) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    let recipient = |t: &str| is(t).then(|| n.recipient.clone());
    schema::Notification {
        id: n.id.clone(),
        reference: n.client_reference.clone(),
        email_address: recipient("email"),
        phone_number: recipient("sms"),
        line_1: field("address_line_1"),
        line_2: field("address_line_2"),
        line_3: field("address_line_3"),
        line_4: field("address_line_4"),
        line_5: field("address_line_5"),
        line_6: field("address_line_6"),
        postcode: field("postcode"),
        notification_type: n.notification_type.as_str().to_string(),
        status: n.status.shown(n.notification_type).to_string(),
        template: schema::TemplateRef {
            id: n.template_id.clone(),
            version: n.template_version,
            uri: format!("{base}/v2/template/{}/version/{}", n.template_id, n.template_version),
        },
        body: n.body.clone(),
        subject: n.subject.clone(),
        created_at: n.created_at,
        created_by_name: None,
        sent_at: n.sent_at,
        completed_at: n.completed_at,
        scheduled_for: None,
        postage: n.postage.clone(),
        one_click_unsubscribe_url: None,
        cost_details: schema::CostDetails {},
        cost_in_pounds: 0.0,
        is_cost_data_ready: true,
        estimated_delivery: is("letter").then_some(n.created_at),
    }
}

pub async fn notification(state: &AppState, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ApiError::validation(vec!["notification_id is not a valid UUID".to_string()]));
    }
    let n = store::get_notification(&state.pool, &caller.service.id, id).await?.ok_or_else(ApiError::not_found)?;
    Ok(Json(notification_json(state, &n)).into_response())
}

/// `GET /v2/notifications/{id}/pdf`: the letter's PDF, Notify's refusals.
pub async fn notification_pdf(state: &AppState, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    use crate::letters::LetterPdf;
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ApiError::validation(vec!["notification_id is not a valid UUID".to_string()]));
    }
    let n = store::get_notification(&state.pool, &caller.service.id, id).await?.ok_or_else(ApiError::not_found)?;
    match crate::letters::letter_pdf(&state.pool, &n).await? {
        LetterPdf::Ready(pdf) => Ok(([(axum::http::header::CONTENT_TYPE, "application/pdf")], pdf).into_response()),
        LetterPdf::NotReady => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "PDFNotReadyError",
            "PDF not available yet, try again later",
        )),
        LetterPdf::Unavailable(message) => Err(ApiError::bad_request(message)),
    }
}

pub async fn notifications(state: &AppState, caller: &Caller, query: Option<&str>) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes()).into_owned().collect();
    let mut filter = store::NotificationFilter { key_type: Some(caller.key_type), ..Default::default() };
    let mut errors = Vec::new();
    for (k, v) in &pairs {
        match k.as_str() {
            "template_type" => match TemplateType::parse(v) {
                Some(t) => filter.template_type = Some(t),
                None => errors.push(format!("template_type {v} is not one of [sms, email, letter]")),
            },
            "status" => match NotificationStatus::covered_by(v) {
                Some(covered) => filter.statuses.extend(covered),
                None => {
                    errors.push(format!("status {v} is not one of [{}]", NotificationStatus::filter_names().join(", ")))
                }
            },
            "reference" => filter.reference = Some(v.clone()),
            "older_than" => {
                if uuid::Uuid::parse_str(v).is_ok() {
                    filter.older_than = Some(v.clone());
                } else {
                    errors.push("older_than is not a valid UUID".to_string());
                }
            }
            // Notify's schema takes only these two spellings.
            "include_jobs" => match v.as_str() {
                "true" | "True" => filter.include_jobs = true,
                _ => errors.push(format!("include_jobs {v} is not one of [true, True]")),
            },
            other => errors.push(format!("Additional properties are not allowed ({other} was unexpected)")),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let found = page_of_notifications(state, &caller.service.id, filter).await?;
    let base = base_url(state);
    let query_without_older: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "older_than").cloned().collect();
    let url = |extra: Option<&str>| {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &query_without_older {
            ser.append_pair(k, v);
        }
        if let Some(id) = extra {
            ser.append_pair("older_than", id);
        }
        let q = ser.finish();
        if q.is_empty() {
            format!("{base}/v2/notifications")
        } else {
            format!("{base}/v2/notifications?{q}")
        }
    };
    let current = match query {
        Some(q) if !q.is_empty() => format!("{base}/v2/notifications?{q}"),
        _ => format!("{base}/v2/notifications"),
    };
    let links = schema::Links { current, next: found.last().map(|last| url(Some(&last.id))) };
    let notifications = found.iter().map(|n| notification_json(state, n)).collect();
    Ok(Json(schema::NotificationList { notifications, links }).into_response())
}

/// The most content one page of `GET /v2/notifications` carries, roughly
/// (bodies, subjects and personalisation): a page may hold 250 emails of
/// 2 MB each, half a gigabyte to read, encode and hold for one request.
/// Past it the page ends early; its `next` link goes on from there, as the
/// clients' iterators follow it. Notify's pages are never shorter than 250
/// but for the last, so a client that counted on it would see the
/// difference only with messages of this size.
pub const PAGE_BYTES: usize = 10 * 1024 * 1024;

/// Rows read at a time while filling a page, so that no more than about
/// [`PAGE_BYTES`] is ever read for one.
const FIRST_BATCH: i64 = 10;

/// One page of the service's notifications: up to [`PAGE_SIZE`], and no
/// more content than [`PAGE_BYTES`] (always at least one notification).
async fn page_of_notifications(
    state: &AppState,
    service_id: &str,
    mut filter: store::NotificationFilter,
) -> Result<Vec<store::Notification>, ApiError> {
    let size = |n: &store::Notification| {
        n.body.len() + n.personalisation.len() + n.subject.as_deref().map_or(0, str::len) + n.recipient.len()
    };
    let mut page: Vec<store::Notification> = Vec::new();
    let (mut bytes, mut largest) = (0usize, 1usize);
    let mut batch = FIRST_BATCH;
    loop {
        let rows = store::list_notifications(&state.pool, service_id, &filter, batch).await?;
        let complete = (rows.len() as i64) < batch;
        for n in rows {
            if !page.is_empty() && bytes + size(&n) > PAGE_BYTES {
                return Ok(page);
            }
            bytes += size(&n);
            largest = largest.max(size(&n));
            page.push(n);
        }
        let left = PAGE_SIZE - page.len() as i64;
        if complete || left <= 0 {
            return Ok(page);
        }
        filter.older_than = page.last().map(|n| n.id.clone());
        // As many as the budget left would hold were each as large as the
        // largest so far.
        batch = (((PAGE_BYTES.saturating_sub(bytes)) / largest) as i64).clamp(1, left);
    }
}

/// A template (at a version) as the API gives it. `contact_block`: the
/// letter contact block it chose, if a letter template.
fn template_json(
    t: &store::TemplateVersion,
    updated_at: Option<Timestamp>,
    contact_block: Option<&str>,
) -> schema::Template {
    let is_letter = t.template_type == TemplateType::Letter;
    let fields = template_fields(t.subject.as_deref(), &t.content);
    schema::Template {
        id: t.template_id.clone(),
        name: t.name.clone(),
        template_type: t.template_type.as_str().to_string(),
        created_at: t.created_at,
        updated_at,
        // Notify gives the author's email address; a version from before
        // authors were recorded has none, and the clients need a string.
        created_by: t.created_by.clone().unwrap_or_default(),
        version: t.version,
        body: t.content.clone(),
        subject: if t.template_type == TemplateType::Sms { None } else { t.subject.clone() },
        letter_contact_block: if is_letter { contact_block.map(str::to_string) } else { None },
        postage: is_letter.then(|| "second".to_string()),
        personalisation: fields.into_iter().map(|f| (f, schema::Placeholder { required: true })).collect(),
    }
}

/// The contact block a template has now: the one it chose, if the
/// service still has it (deleting one takes it off its templates, whose
/// versions keep what they chose), as Notify reads the template itself.
fn current_contact_block(caller: &Caller, t: &store::Template) -> Option<String> {
    let id = t.letter_contact_id.as_deref()?;
    caller.snapshot.letter_contacts.iter().find(|c| c.id == id).map(|c| c.value.clone())
}

fn check_template_id(id: &str) -> Result<(), ApiError> {
    uuid::Uuid::parse_str(id)
        .map(|_| ())
        .map_err(|_| ApiError::validation(vec!["template_id is not a valid UUID".to_string()]))
}

async fn current_version(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(store::Template, store::TemplateVersion), ApiError> {
    check_template_id(id)?;
    let t = store::get_template(&state.pool, &caller.service.id, id).await?.ok_or_else(ApiError::not_found)?;
    let v = store::get_template_version(&state.pool, &caller.service.id, id, t.version)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((t, v))
}

pub async fn template(state: &AppState, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let (t, v) = current_version(state, caller, id).await?;
    let contact = current_contact_block(caller, &t);
    Ok(Json(template_json(&v, t.updated_at, contact.as_deref())).into_response())
}

pub async fn template_version(
    state: &AppState,
    caller: &Caller,
    id: &str,
    version: &str,
) -> Result<Response, ApiError> {
    check_template_id(id)?;
    let version: i64 =
        version.parse().map_err(|_| ApiError::validation(vec!["version is not a valid integer".to_string()]))?;
    let v = store::get_template_version(&state.pool, &caller.service.id, id, version)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(template_json(&v, None, v.letter_contact_block.as_deref())).into_response())
}

pub async fn templates(state: &AppState, caller: &Caller, query: Option<&str>) -> Result<Response, ApiError> {
    let mut wanted = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if k == "type" {
            wanted =
                Some(TemplateType::parse(&v).ok_or_else(|| {
                    ApiError::validation(vec![format!("type {v} is not one of [sms, email, letter]")])
                })?);
        }
    }
    let mut out = Vec::new();
    for t in store::list_templates(&state.pool, &caller.service.id).await? {
        if wanted.is_some_and(|w| w != t.template_type) {
            continue;
        }
        if let Some(v) = store::get_template_version(&state.pool, &caller.service.id, &t.id, t.version).await? {
            let contact = current_contact_block(caller, &t);
            out.push(template_json(&v, t.updated_at, contact.as_deref()));
        }
    }
    Ok(Json(schema::TemplateList { templates: out }).into_response())
}

pub async fn preview(state: &AppState, caller: &Caller, id: &str, raw: &[u8]) -> Result<Response, ApiError> {
    let (t, v) = current_version(state, caller, id).await?;
    let body = if raw.iter().all(u8::is_ascii_whitespace) { Map::new() } else { json_body(raw)? };
    let personalisation = match body.get("personalisation") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(other) => {
            return Err(ApiError::validation(vec![format!("personalisation {other} is not of type object")]))
        }
    };
    let fields = template_fields(t.subject.as_deref(), &t.content);
    let missing = missing_fields(&fields, &personalisation);
    if !missing.is_empty() {
        return Err(ApiError::bad_request(format!("Missing personalisation: {}", missing.join(", "))));
    }
    super::send::check_personalisation_size(&personalisation)?;
    let (subject, rendered) = render(v.subject.as_deref(), &v.content, &personalisation)
        .ok_or_else(|| ApiError::bad_request(too_long_message(t.template_type, RENDER_LIMIT_BYTES)))?;
    let rendered = if t.template_type == TemplateType::Sms { normalise_newlines(&rendered) } else { rendered };
    Ok(Json(schema::TemplatePreview {
        id: t.id.clone(),
        template_type: t.template_type.as_str().to_string(),
        version: t.version,
        body: rendered,
        subject: if t.template_type == TemplateType::Sms { None } else { subject },
        postage: (t.template_type == TemplateType::Letter).then(|| "second".to_string()),
    })
    .into_response())
}

/// `GET /v2/received-text-messages`: the service's received texts, newest
/// first, 250 a page, `links.next` (with `older_than`) whenever the page is
/// not empty, as Notify's.
pub async fn received_text_messages(
    state: &AppState,
    caller: &Caller,
    query: Option<&str>,
) -> Result<Response, ApiError> {
    let mut older_than = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if k == "older_than" {
            if uuid::Uuid::parse_str(&v).is_err() {
                return Err(ApiError::validation(vec!["older_than is not a valid UUID".to_string()]));
            }
            older_than = Some(v.into_owned());
        }
    }
    let texts = store::received_texts(&state.pool, &caller.service.id, older_than.as_deref(), PAGE_SIZE).await?;
    let base = format!("{}/v2/received-text-messages", base_url(state));
    let next = texts.last().map(|last| format!("{base}?older_than={}", last.id));
    let received_text_messages = texts
        .into_iter()
        .map(|t| schema::ReceivedText {
            id: t.id,
            created_at: t.created_at,
            service_id: t.service_id,
            notify_number: t.notify_number,
            user_number: t.user_number,
            content: t.content,
        })
        .collect();
    Ok(Json(schema::ReceivedTextList { received_text_messages, links: schema::Links { current: base, next } })
        .into_response())
}
