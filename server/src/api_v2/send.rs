//! `POST /v2/notifications/{email,sms,letter}`, in Notify's order of checks:
//! limits, JSON and schema, service permission, template, personalisation,
//! recipient rules per key type, recipient format; then persist and 201.

use super::auth::Caller;
use super::error::ApiError;
use super::schema::{
    EmailContent, LetterContent, SanitisedValue, SentEmail, SentLetter, SentPrecompiledLetter, SentSms, SmsContent,
    TemplateRef,
};
use super::{base_url, json_body, string_field};
use crate::AppState;
use app::domain::api_key::KeyType;
use app::domain::key_usage::{Channel, Metric, Refusal};
use app::domain::senders::SenderKind;
use app::domain::template::{fill_within, length_error, normalise_newlines, too_long_message, RENDER_LIMIT_BYTES};
use app::domain::{
    personalisation_key, template_fields, EmailAddress, PhoneNumber, PhoneNumberError, ServicePermission, TemplateType,
};
use app::ssr::recipients::{self, Recipient};
use app::ssr::{clock, store};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

pub const TRIAL_MODE_URL: &str = "https://www.notifications.service.gov.uk/trial-mode";

fn type_label(t: TemplateType) -> &'static str {
    match t {
        TemplateType::Email => "emails",
        TemplateType::Sms => "text messages",
        TemplateType::Letter => "letters",
    }
}

fn phone_message(e: PhoneNumberError) -> &'static str {
    match e {
        PhoneNumberError::Empty | PhoneNumberError::TooShort => "Not enough digits",
        PhoneNumberError::TooLong => "Too many digits",
        PhoneNumberError::NotUkMobile => "Not a UK mobile number",
        PhoneNumberError::InvalidCharacters => "Must not contain letters or symbols",
        PhoneNumberError::UnknownCountryCode | PhoneNumberError::NotValid => "Not a valid country prefix",
    }
}

/// The fields a request to send `t` may give (the request types in
/// [`super::schema`] describe the same; a test holds them together).
pub fn allowed_fields(t: TemplateType) -> &'static [&'static str] {
    match t {
        TemplateType::Email => &[
            "email_address",
            "template_id",
            "personalisation",
            "reference",
            "scheduled_for",
            "email_reply_to_id",
            "one_click_unsubscribe_url",
            "sanitise_content_for",
        ],
        TemplateType::Sms => &[
            "phone_number",
            "template_id",
            "personalisation",
            "reference",
            "scheduled_for",
            "sms_sender_id",
            "sanitise_content_for",
        ],
        TemplateType::Letter => &["template_id", "personalisation", "reference", "postage"],
    }
}

/// The fields a request to send `t` must give.
pub fn required_fields(t: TemplateType) -> Vec<&'static str> {
    match t {
        TemplateType::Email => vec!["template_id", "email_address"],
        TemplateType::Sms => vec!["template_id", "phone_number"],
        TemplateType::Letter => vec!["template_id", "personalisation"],
    }
}

/// A templated letter's postage choices, in Notify's order.
pub const POSTAGE: &[&str] = &["first", "second", "economy", "europe", "rest-of-world"];

/// A precompiled letter's fields, and those it must give.
pub const PRECOMPILED_FIELDS: &[&str] = &["reference", "content", "postage"];
pub const PRECOMPILED_REQUIRED: &[&str] = &["reference", "content"];
/// A precompiled letter's postage choices.
pub const PRECOMPILED_POSTAGE: &[&str] = &["first", "second", "economy"];

/// Checks the request body against the schema for `t`; every problem is
/// reported, each as `"{field} {message}"`.
fn validate_schema(t: TemplateType, body: &Map<String, Value>) -> Result<(), ApiError> {
    let allowed = allowed_fields(t);
    let mut errors = Vec::new();
    for field in required_fields(t) {
        if !body.contains_key(field) {
            errors.push(format!("{field} is a required property"));
        }
    }
    for key in body.keys() {
        if !allowed.contains(&key.as_str()) {
            errors.push(format!("Additional properties are not allowed ({key} was unexpected)"));
        }
    }
    for (field, value) in body {
        match (field.as_str(), value) {
            ("template_id" | "email_reply_to_id" | "sms_sender_id", Value::String(s))
                if uuid::Uuid::parse_str(s).is_ok() => {}
            ("template_id" | "email_reply_to_id" | "sms_sender_id", _) => {
                errors.push(format!("{field} is not a valid UUID"))
            }
            ("email_address" | "phone_number", Value::String(_)) => {}
            ("email_address" | "phone_number", v) => errors.push(format!("{field} {v} is not of type string")),
            ("personalisation", Value::Object(p)) => errors.extend(personalisation_size_error(p)),
            ("personalisation", v) => errors.push(format!("personalisation {v} is not of type object")),
            ("reference", Value::Null) => {}
            ("reference", Value::String(s)) if s.chars().count() <= 1000 => {}
            ("reference", Value::String(_)) => errors.push("reference is too long".to_string()),
            ("reference", v) => errors.push(format!("reference {v} is not of type string, null")),
            ("postage", Value::String(s)) if POSTAGE.contains(&s.as_str()) => {}
            ("postage", v) => errors
                .push(format!("postage invalid. It must be first, second, economy, europe or rest-of-world, not {v}")),
            ("sanitise_content_for", Value::Null | Value::Array(_)) => {}
            ("sanitise_content_for", v) => errors.push(format!("sanitise_content_for {v} is not of type array, null")),
            ("one_click_unsubscribe_url", Value::Null) => {}
            ("one_click_unsubscribe_url", Value::String(s)) if s.starts_with("https://") => {}
            ("one_click_unsubscribe_url", _) => {
                errors.push("one_click_unsubscribe_url is not a valid https url".to_string())
            }
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// A value as it fills a placeholder: strings borrowed (a value may be
/// megabytes; the lookup is made more than once a request), lists as
/// bullets, other JSON as written.
fn value_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Array(items) => Some(Cow::Owned(
            items.iter().filter_map(value_text).map(|i| format!("* {i}")).collect::<Vec<_>>().join("\n"),
        )),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// Personalisation keyed as Notify compares names.
pub fn personalisation_lookup(p: &Map<String, Value>) -> std::collections::HashMap<String, Option<Cow<'_, str>>> {
    p.iter().map(|(k, v)| (personalisation_key(k), value_text(v))).collect()
}

/// The value that fills `name`, if given (and not null).
fn lookup_value(given: &std::collections::HashMap<String, Option<Cow<'_, str>>>, name: &str) -> Option<String> {
    given.get(&personalisation_key(name)).and_then(|v| v.as_deref().map(str::to_string))
}

/// The template's fields that `personalisation` does not give.
pub fn missing_fields(fields: &[String], personalisation: &Map<String, Value>) -> Vec<String> {
    let given = personalisation_lookup(personalisation);
    fields.iter().filter(|f| !matches!(given.get(&personalisation_key(f)), Some(Some(_)))).cloned().collect()
}

/// What is stored of the personalisation: the template's fields (and a
/// letter's address), nothing else, so values the template does not use
/// (up to the 4 MiB body limit) never reach the disk.
pub fn kept_personalisation(
    personalisation: &Map<String, Value>,
    fields: &[String],
    t: TemplateType,
) -> Map<String, Value> {
    let used: std::collections::HashSet<String> = fields.iter().map(|f| personalisation_key(f)).collect();
    personalisation
        .iter()
        .filter(|(k, _)| {
            let key = personalisation_key(k);
            used.contains(&key)
                || t == TemplateType::Letter
                    && (key == "postcode" || (1..=7).any(|i| key == personalisation_key(&format!("address_line_{i}"))))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Subject and body with personalisation filled in; `None` when either
/// would pass [`RENDER_LIMIT_BYTES`] (a template repeating a large value).
pub fn render(
    subject: Option<&str>,
    content: &str,
    personalisation: &Map<String, Value>,
) -> Option<(Option<String>, String)> {
    let given = personalisation_lookup(personalisation);
    let value = |name: &str| lookup_value(&given, name);
    let subject = match subject {
        Some(s) => Some(fill_within(s, &value, RENDER_LIMIT_BYTES)?),
        None => None,
    };
    Some((subject, fill_within(content, &value, RENDER_LIMIT_BYTES)?))
}

/// The most personalisation keys a request may give. Notify's templates have
/// tens of placeholders; every key costs a look-up (and sanitising), so a
/// body of a million tiny keys is refused before any of that.
pub const MAX_PERSONALISATION_KEYS: usize = 1_000;

/// The refusal of personalisation with more than
/// [`MAX_PERSONALISATION_KEYS`] keys, if it has.
fn personalisation_size_error(personalisation: &Map<String, Value>) -> Option<String> {
    (personalisation.len() > MAX_PERSONALISATION_KEYS)
        .then(|| format!("personalisation has too many properties (the most is {MAX_PERSONALISATION_KEYS})"))
}

/// Refuses personalisation with more than [`MAX_PERSONALISATION_KEYS`] keys.
pub fn check_personalisation_size(personalisation: &Map<String, Value>) -> Result<(), ApiError> {
    match personalisation_size_error(personalisation) {
        Some(message) => Err(ApiError::validation(vec![message])),
        None => Ok(()),
    }
}

pub async fn send(state: &AppState, caller: &Caller, t: TemplateType, raw: &[u8]) -> Result<Response, ApiError> {
    let service_id = caller.service.id.as_str();
    // 1. Limits, before the body is even read.
    let limits = &caller.snapshot.sending;
    within_rate_limit(state, caller)?;
    if caller.key_type != KeyType::Test {
        let limit = limits.daily_limit(t);
        let today = clock::now().start_of_day();
        if store::count_sent_since(&state.pool, service_id, t, today).await? >= limit {
            state.api.count_refusal(service_id, Some((&caller.key_id, Refusal::OverLimit)));
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsError",
                format!("Exceeded send limits ({}: {limit}) for today", t.as_str()),
            ));
        }
    }
    // 2. JSON and schema.
    let body = json_body(raw)?;
    if t == TemplateType::Letter && body.contains_key("content") {
        return send_precompiled(state, caller, &body).await;
    }
    validate_schema(t, &body)?;
    if body.get("scheduled_for").is_some_and(|v| !v.is_null()) {
        return Err(ApiError::bad_request("Cannot schedule notifications (this feature is invite-only)"));
    }
    // An email's reply-to address or a text message's sender: the one asked
    // for (which must be the service's), else the service's default.
    let reply_to = match t {
        TemplateType::Email => chosen_sender(&body, SenderKind::EmailReplyTo, &caller.snapshot.reply_to, service_id)?,
        TemplateType::Sms => chosen_sender(&body, SenderKind::SmsSender, &caller.snapshot.sms_senders, service_id)?,
        // A letter carries its template's contact block: chosen below.
        TemplateType::Letter => None,
    };
    // 3. The service may send this channel.
    let permission = match t {
        TemplateType::Email => ServicePermission::Email,
        TemplateType::Sms => ServicePermission::Sms,
        TemplateType::Letter => ServicePermission::Letter,
    };
    may_send(caller, t, permission)?;
    // 4. Template and personalisation.
    let template_id = string_field(&body, "template_id").unwrap_or_default();
    let template =
        caller.snapshot.templates.get(&template_id).ok_or_else(|| ApiError::bad_request("Template not found"))?;
    let template_type = template.template_type;
    if template_type != t {
        return Err(ApiError::bad_request(format!(
            "{} template is not suitable for {} notification",
            template_type.as_str(),
            t.as_str()
        )));
    }
    if template.archived {
        return Err(ApiError::bad_request("Template has been deleted"));
    }
    // The contact block the letter template chose, printed on the letter.
    let reply_to = match (t, template.letter_contact_id.as_deref()) {
        (TemplateType::Letter, Some(id)) => {
            caller.snapshot.letter_contacts.iter().find(|c| c.id == id).map(|c| c.value.clone())
        }
        _ => reply_to,
    };
    let given_personalisation = body.get("personalisation").and_then(Value::as_object).cloned().unwrap_or_default();
    // An email's fields named in `sanitise_content_for` are escaped before
    // anything else sees them (Notify's order); the 201 says what changed.
    let (personalisation, sanitised_content) = match t {
        TemplateType::Email => sanitise_named_fields(&given_personalisation, &body),
        _ => (given_personalisation, BTreeMap::new()),
    };
    let fields = template_fields(template.subject.as_deref(), &template.content);
    let missing = missing_fields(&fields, &personalisation);
    if !missing.is_empty() {
        return Err(ApiError::bad_request(format!("Missing personalisation: {}", missing.join(", "))));
    }
    // Rendering stops far past every limit, so a template repeating a large
    // value cannot make a huge message.
    let too_long = |n: usize| too_long_message(t, n);
    let given = personalisation_lookup(&personalisation);
    let value = |name: &str| lookup_value(&given, name);
    let rendered = fill_within(&template.content, &value, RENDER_LIMIT_BYTES)
        .ok_or_else(|| ApiError::bad_request(too_long(RENDER_LIMIT_BYTES)))?;
    // A text message's lines end in `\n`, as Notify renders it, whatever the
    // template was saved with (a browser's textarea sends `\r\n`); an
    // email keeps its template's line endings.
    let rendered = if t == TemplateType::Sms { normalise_newlines(&rendered) } else { rendered };
    if let Some(message) = length_error(t, &rendered) {
        return Err(ApiError::bad_request(message));
    }
    let subject = template.subject.as_deref().map(|s| fill_within(s, &value, RENDER_LIMIT_BYTES));
    let subject = match subject {
        Some(None) => return Err(ApiError::bad_request(too_long(RENDER_LIMIT_BYTES))),
        Some(Some(s)) => Some(s),
        None => None,
    };
    if rendered.trim().is_empty() {
        return Err(ApiError::bad_request("Your message is empty."));
    }
    // 5. Recipient: who this key may send to, then the format.
    let restricted = caller.service.restricted;
    let recipient = match t {
        TemplateType::Letter => {
            key_may_send_letters(caller)?;
            let given = personalisation_lookup(&personalisation);
            let line = |name: &str| lookup_value(&given, name).filter(|l| !l.trim().is_empty());
            let mut lines: Vec<String> = (1..=7).filter_map(|i| line(&format!("address_line_{i}"))).collect();
            // Notify counts `postcode` as the last line when there is no
            // seventh line.
            if line("address_line_7").is_none() {
                lines.extend(line("postcode"));
            }
            if lines.len() < 3 {
                return Err(ApiError::validation(vec!["Address must be at least 3 lines".to_string()]));
            }
            lines.join("\n")
        }
        TemplateType::Email | TemplateType::Sms => {
            let field = if t == TemplateType::Email { "email_address" } else { "phone_number" };
            let raw_recipient = string_field(&body, field).unwrap_or_default();
            if raw_recipient.trim().is_empty() {
                return Err(ApiError::bad_request("Recipient can't be empty"));
            }
            let parsed = if t == TemplateType::Email {
                EmailAddress::parse(&raw_recipient)
                    .map(Recipient::Email)
                    .map_err(|_| format!("{field} Not a valid email address"))
            } else {
                PhoneNumber::parse(&raw_recipient)
                    .map(Recipient::Phone)
                    .map_err(|e| format!("{field} {}", phone_message(e)))
            };
            let restricted_key = caller.key_type == KeyType::Team || (restricted && caller.key_type == KeyType::Normal);
            if restricted_key && !app::domain::simulated::is_simulated_recipient(t, &raw_recipient) {
                let allowed = match &parsed {
                    Ok(r) => recipients::team_key_may_send_to(&state.pool, service_id, r).await?,
                    Err(_) => false,
                };
                if !allowed {
                    return Err(ApiError::bad_request(if caller.key_type == KeyType::Team {
                        "Can’t send to this recipient using a team-only API key".to_string()
                    } else {
                        format!("Can’t send to this recipient when service is in trial mode – see {TRIAL_MODE_URL}")
                    }));
                }
            }
            match parsed.map_err(|m| ApiError::validation(vec![m]))? {
                Recipient::Email(e) => e.as_str().to_string(),
                Recipient::Phone(p) => p.as_str().to_string(),
            }
        }
    };
    // 6. Persist (before answering), unless it is a simulated recipient.
    let id = uuid::Uuid::now_v7().to_string();
    let reference = string_field(&body, "reference");
    let postage =
        (t == TemplateType::Letter).then(|| string_field(&body, "postage").unwrap_or_else(|| "second".to_string()));
    if !app::domain::simulated::is_simulated_recipient(t, &recipient) {
        let created_at = clock::now();
        state
            .api
            .store(store::NewNotification {
                id: id.clone(),
                service_id: service_id.to_string(),
                api_key_id: Some(caller.key_id.clone()),
                key_type: caller.key_type,
                template_id: template.id.clone(),
                template_version: template.version,
                notification_type: t,
                recipient: recipient.clone(),
                client_reference: reference.clone(),
                personalisation: Value::Object(kept_personalisation(&personalisation, &fields, t)).to_string(),
                subject: subject.clone(),
                body: rendered.clone(),
                postage: postage.clone(),
                created_at,
                reply_to: reply_to.clone(),
                one_click_unsubscribe_url: match t {
                    TemplateType::Email => string_field(&body, "one_click_unsubscribe_url"),
                    _ => None,
                },
                job: None,
            })
            .await?;
        let channel = match t {
            TemplateType::Email => Channel::Email,
            TemplateType::Sms => Channel::Sms,
            TemplateType::Letter => Channel::Letter,
        };
        state.api.count(&caller.key_id, created_at, Metric::Sent(channel));
    }
    let base = base_url(state);
    let uri = format!("{base}/v2/notifications/{id}");
    let template = TemplateRef {
        id: template.id.clone(),
        version: template.version,
        uri: format!("{base}/services/{service_id}/templates/{}", template.id),
    };
    match t {
        TemplateType::Email => Ok(created(SentEmail {
            id,
            reference,
            content: EmailContent {
                body: rendered,
                subject,
                from_email: format!("{}@notifications.service.gov.uk", email_local_part(&caller.service.name)),
                one_click_unsubscribe_url: string_field(&body, "one_click_unsubscribe_url"),
            },
            uri,
            template,
            scheduled_for: None,
            sanitised_content,
        })),
        TemplateType::Sms => Ok(created(SentSms {
            id,
            reference,
            content: SmsContent {
                body: rendered,
                from_number: reply_to.unwrap_or_else(|| app::domain::sms_sender::DEFAULT_SENDER.to_string()),
            },
            uri,
            template,
            scheduled_for: None,
        })),
        TemplateType::Letter => Ok(created(SentLetter {
            id,
            reference,
            content: LetterContent { body: rendered, subject },
            uri,
            template,
            scheduled_for: None,
        })),
    }
}

/// Refuses a request over the key type's rate limit (Notify's
/// `RateLimitError`), counting the refusal against the key.
pub(crate) fn within_rate_limit(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    let service_id = caller.service.id.as_str();
    let limit = caller.snapshot.sending.rate_limit;
    if state.api.allow(service_id, caller.key_type, limit) {
        return Ok(());
    }
    state.api.count_refusal(service_id, Some((&caller.key_id, Refusal::OverLimit)));
    let label = match caller.key_type {
        KeyType::Normal => "LIVE",
        KeyType::Team => "TEAM",
        KeyType::Test => "TEST",
    };
    Err(ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RateLimitError",
        format!("Exceeded rate limit for key type {label} of {limit} requests per 60 seconds"),
    ))
}

/// A 201 with its body.
pub(crate) fn created(body: impl serde::Serialize) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

/// The service has the permission to send this channel (Notify's check 3).
pub(crate) fn may_send(caller: &Caller, t: TemplateType, permission: ServicePermission) -> Result<(), ApiError> {
    if caller.snapshot.sending.permissions.split(',').any(|p| p == permission.as_str()) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("Service is not allowed to send {}", type_label(t))))
    }
}

/// Letters need a live or test key, and a live key only on a live service
/// (Notify's 403s), templated or precompiled.
pub(crate) fn key_may_send_letters(caller: &Caller) -> Result<(), ApiError> {
    let refusal = match caller.key_type {
        KeyType::Team => "Cannot send letters with a team api key",
        KeyType::Normal if caller.service.restricted => "Cannot send letters when service is in trial mode",
        _ => return Ok(()),
    };
    Err(ApiError::new(StatusCode::FORBIDDEN, "BadRequestError", refusal))
}

/// A precompiled letter (`{"reference", "content": base64 PDF, "postage"}`),
/// in Notify's order: schema, the service's letter permission, the key,
/// the file's encoding. The 201 comes once the file is stored; the file is
/// checked after (`pending-virus-check`, then `validation-failed` or on to
/// the provider), as in Notify.
async fn send_precompiled(state: &AppState, caller: &Caller, body: &Map<String, Value>) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    for field in PRECOMPILED_REQUIRED {
        if !body.contains_key(*field) {
            errors.push(format!("{field} is a required property"));
        }
    }
    for (field, value) in body {
        match (field.as_str(), value) {
            ("reference" | "content", Value::String(_)) => {}
            ("reference" | "content", v) => errors.push(format!("{field} {v} is not of type string")),
            ("postage", Value::String(s)) if PRECOMPILED_POSTAGE.contains(&s.as_str()) => {}
            ("postage", Value::String(_)) => {
                errors.push("postage invalid. It must be either first, second or economy.".to_string())
            }
            ("postage", v) => errors.push(format!("postage {v} is not of type string")),
            (other, _) => errors.push(format!("Additional properties are not allowed ({other} was unexpected)")),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let service_id = caller.service.id.as_str();
    may_send(caller, TemplateType::Letter, ServicePermission::Letter)?;
    key_may_send_letters(caller)?;
    // Python's b64decode skips what is not in the alphabet (line breaks
    // included) and insists on the padding.
    let content = string_field(body, "content").unwrap_or_default();
    let cleaned: String =
        content.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')).collect();
    let pdf = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(cleaned.as_bytes())
            .map_err(|_| ApiError::bad_request("Cannot decode letter content (invalid base64 encoding)"))?
    };
    letter_file_budget(state, caller, pdf.len()).await?;
    let (template_id, template_version) = store::precompiled_template(&state.pool, service_id).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let reference = string_field(body, "reference");
    let postage = string_field(body, "postage").unwrap_or_else(|| "second".to_string());
    let created_at = clock::now();
    store::create_precompiled_letter(
        &state.pool,
        &store::NewNotification {
            id: id.clone(),
            service_id: service_id.to_string(),
            api_key_id: Some(caller.key_id.clone()),
            key_type: caller.key_type,
            template_id,
            template_version,
            notification_type: TemplateType::Letter,
            // As in Notify until the address is read from the file.
            recipient: "Provided as PDF".to_string(),
            client_reference: reference.clone(),
            personalisation: json!({"address_line_1": "Provided as PDF"}).to_string(),
            subject: Some(store::PRECOMPILED_TEMPLATE_NAME.to_string()),
            body: String::new(),
            postage: Some(postage.clone()),
            created_at,
            reply_to: None,
            one_click_unsubscribe_url: None,
            job: None,
        },
        &pdf,
    )
    .await?;
    state.api.count(&caller.key_id, created_at, Metric::Sent(Channel::Letter));
    Ok(created(SentPrecompiledLetter { id, reference, postage }))
}

/// Bytes of precompiled files a service may store in a day with test keys:
/// test letters are never printed, and every one is kept for the retention
/// period like any other, so a test key must not be able to fill the disk.
pub const TEST_LETTER_FILES_DAILY_BYTES: i64 = 100 * 1024 * 1024;

/// Refuses a precompiled file that would take the service past its daily
/// budget of stored files (test keys: [`TEST_LETTER_FILES_DAILY_BYTES`];
/// live and team keys: `NOTIFY_LETTER_FILES_DAILY_MB`), as the daily
/// message limits are refused.
async fn letter_file_budget(state: &AppState, caller: &Caller, size: usize) -> Result<(), ApiError> {
    let test = caller.key_type == KeyType::Test;
    let budget = if test { TEST_LETTER_FILES_DAILY_BYTES } else { state.config.letter_files_daily_bytes };
    let today = clock::now().start_of_day();
    let used = store::letter_file_bytes_since(&state.pool, &caller.service.id, test, today).await?;
    if used.saturating_add(size as i64) > budget {
        state.api.count_refusal(&caller.service.id, Some((&caller.key_id, Refusal::OverLimit)));
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsError",
            format!("Exceeded send limits (letter files: {} MB) for today", budget / (1024 * 1024)),
        ));
    }
    Ok(())
}

/// Notify's `sanitise_content_for` on an email's personalisation: each
/// string field it names (compared as personalisation keys are) sanitised;
/// and, for each that changed, `{"unsanitised", "sanitised"}`.
fn sanitise_named_fields(
    personalisation: &Map<String, Value>,
    body: &Map<String, Value>,
) -> (Map<String, Value>, BTreeMap<String, SanitisedValue>) {
    // A set: each personalisation key is looked up once, whatever the
    // number of names (a list made this quadratic in the body's size).
    let named: std::collections::HashSet<String> = body
        .get("sanitise_content_for")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).map(personalisation_key).collect())
        .unwrap_or_default();
    let mut out = personalisation.clone();
    let mut changed = BTreeMap::new();
    if named.is_empty() {
        return (out, changed);
    }
    for (key, value) in personalisation {
        let Value::String(before) = value else { continue };
        if !named.contains(&personalisation_key(key)) {
            continue;
        }
        let after = app::ssr::sanitise::sanitise(before);
        if &after != before {
            changed.insert(key.clone(), SanitisedValue { unsanitised: before.clone(), sanitised: after.clone() });
            out.insert(key.clone(), Value::String(after));
        }
    }
    (out, changed)
}

/// The sender `kind`'s API field names (which must be one of `list`, the
/// service's), else the default; Notify's error for an id the service does
/// not have.
fn chosen_sender(
    body: &Map<String, Value>,
    kind: SenderKind,
    list: &[store::Sender],
    service_id: &str,
) -> Result<Option<String>, ApiError> {
    let field = kind.api_field().unwrap_or_default();
    match string_field(body, field) {
        Some(id) => match list.iter().find(|s| s.id == id) {
            Some(s) => Ok(Some(s.value.clone())),
            None => Err(ApiError::bad_request(format!(
                "{field} {id} does not exist in database for service id {service_id}"
            ))),
        },
        None => Ok(list.iter().find(|s| s.is_default).map(|s| s.value.clone())),
    }
}

/// Notify's sender local part: the service name, lower case, dotted.
fn email_local_part(name: &str) -> String {
    let safe = app::domain::api_key::safe_name(name).replace('_', ".");
    if safe.is_empty() {
        "notify".to_string()
    } else {
        safe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_personalisation_is_named_in_template_order() {
        let p = json!({"Name": "Ada", "empty": null}).as_object().unwrap().clone();
        let fields = vec!["name".to_string(), "empty".to_string(), "ref".to_string()];
        assert_eq!(missing_fields(&fields, &p), vec!["empty", "ref"]);
    }

    #[test]
    fn schema_errors_are_all_reported() {
        let body = json!({"template_id": "nope", "colour": "blue"}).as_object().unwrap().clone();
        let e = validate_schema(TemplateType::Email, &body).unwrap_err();
        let messages: Vec<_> = e.errors.iter().map(|(_, m)| m.as_str()).collect();
        assert!(messages.contains(&"email_address is a required property"));
        assert!(messages.contains(&"template_id is not a valid UUID"));
        assert!(messages.contains(&"Additional properties are not allowed (colour was unexpected)"));
    }

    #[test]
    fn sender_address_comes_from_the_service_name() {
        assert_eq!(email_local_part("Example live service"), "example.live.service");
    }
}
