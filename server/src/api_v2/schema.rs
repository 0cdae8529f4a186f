//! The v2 API's request and response types: the handlers answer with these
//! (so an answer cannot differ from its description), and the OpenAPI
//! description (`/documentation/openapi.json`) is generated from them.
//!
//! Requests are read field by field (`send::validate_schema`), so that every
//! refusal carries Notify's exact message; the request types here describe
//! the same fields, and a test checks that the two agree field for field.

use app::domain::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// A field that may only be null (scheduling is not offered).
fn null_only() -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::Null)
            .description(Some(
                "Must be null or left out: scheduling is invite-only in Notify and not offered here; a time is \
                 refused with `Cannot schedule notifications (this feature is invite-only)`.",
            ))
            .build(),
    )
}

/// A string from a list of names, described from the list the handler
/// checks against (so the two cannot differ).
fn names(names: Vec<&'static str>, description: &str) -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names)).description(Some(description)).build(),
    ))
}

/// A message type as a query parameter: `sms`, `email` or `letter`.
pub struct TemplateTypeName;

impl PartialSchema for TemplateTypeName {
    fn schema() -> RefOr<Schema> {
        names(app::domain::TemplateType::ALL.iter().map(|t| t.as_str()).collect(), "A message type.")
    }
}

impl ToSchema for TemplateTypeName {}

/// `include_jobs`: Notify's two spellings of yes.
pub struct IncludeJobs;

impl PartialSchema for IncludeJobs {
    fn schema() -> RefOr<Schema> {
        names(vec!["true", "True"], "Also messages sent from files and the bulk API.")
    }
}

impl ToSchema for IncludeJobs {}

/// A letter's PDF, as `GET /v2/notifications/{id}/pdf` answers it.
pub struct PdfFile;

impl PartialSchema for PdfFile {
    fn schema() -> RefOr<Schema> {
        RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .content_media_type("application/pdf")
                .description(Some("The PDF's bytes."))
                .build(),
        ))
    }
}

impl ToSchema for PdfFile {}

/// A status to filter messages by: a status, or a group of them.
pub struct StatusFilter;

impl PartialSchema for StatusFilter {
    fn schema() -> RefOr<Schema> {
        names(app::domain::NotificationStatus::filter_names(), "A status, or a group of statuses.")
    }
}

impl ToSchema for StatusFilter {}

/// Notify's error body, for every status the API refuses with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorResponse {
    /// The HTTP status code, again.
    pub status_code: u16,
    pub errors: Vec<ErrorItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorItem {
    /// The kind of error: `BadRequestError`, `ValidationError`, `AuthError`,
    /// `RateLimitError`, `TooManyRequestsError`, `NoResultFound`,
    /// `PDFNotReadyError`, `RequestEntityTooLarge`, `NotFound`,
    /// `MethodNotAllowed` or `Exception`.
    #[schema(example = "BadRequestError")]
    pub error: String,
    /// What is wrong, in Notify's words.
    #[schema(example = "Template not found")]
    pub message: String,
}

/// `POST /v2/notifications/email`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    /// The recipient's email address.
    #[schema(example = "amala@example.com")]
    pub email_address: String,
    /// The id of an email template of the service.
    pub template_id: uuid::Uuid,
    /// A value for each of the template's placeholders, by name. A list
    /// becomes a bulleted list. At most 1,000 values.
    #[schema(value_type = Object, required = false)]
    pub personalisation: Option<Map<String, Value>>,
    /// Your own reference for the message (not shown to the recipient).
    #[schema(max_length = 1000)]
    pub reference: Option<String>,
    /// Must be null (or left out): scheduling is invite-only in Notify, and
    /// not offered here; a time is refused with
    /// `Cannot schedule notifications (this feature is invite-only)`.
    #[schema(schema_with = null_only)]
    pub scheduled_for: Option<String>,
    /// The id of one of the service's reply-to addresses (else its default).
    #[schema(value_type = uuid::Uuid, required = false)]
    pub email_reply_to_id: Option<uuid::Uuid>,
    /// An `https://` URL the recipient can unsubscribe with in one click.
    #[schema(pattern = "^https://")]
    pub one_click_unsubscribe_url: Option<String>,
    /// Placeholders whose values are escaped so that they cannot become
    /// links (the response says what changed).
    pub sanitise_content_for: Option<Vec<String>>,
}

/// `POST /v2/notifications/sms`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsRequest {
    /// The recipient's mobile number (UK, or international with its prefix).
    #[schema(example = "07700900123")]
    pub phone_number: String,
    /// The id of a text message template of the service.
    pub template_id: uuid::Uuid,
    /// A value for each of the template's placeholders, by name.
    #[schema(value_type = Object, required = false)]
    pub personalisation: Option<Map<String, Value>>,
    /// Your own reference for the message.
    #[schema(max_length = 1000)]
    pub reference: Option<String>,
    /// Must be null (or left out): scheduling is invite-only in Notify, and
    /// not offered here; a time is refused with
    /// `Cannot schedule notifications (this feature is invite-only)`.
    #[schema(schema_with = null_only)]
    pub scheduled_for: Option<String>,
    /// The id of one of the service's text message senders (else its default).
    #[schema(value_type = uuid::Uuid, required = false)]
    pub sms_sender_id: Option<uuid::Uuid>,
    /// Placeholders whose values are escaped so that they cannot become links.
    pub sanitise_content_for: Option<Vec<String>>,
}

/// `POST /v2/notifications/letter` from a template. The address is in the
/// personalisation: `address_line_1` to `address_line_7` (at least 3 lines),
/// or `postcode` as the last line.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LetterRequest {
    /// The id of a letter template of the service.
    pub template_id: uuid::Uuid,
    /// The address lines and a value for each of the template's placeholders.
    #[schema(value_type = Object)]
    pub personalisation: Map<String, Value>,
    /// Your own reference for the letter.
    #[schema(max_length = 1000)]
    pub reference: Option<String>,
    /// `second` unless chosen.
    #[schema(value_type = Postage, required = false)]
    pub postage: Option<Postage>,
}

/// `POST /v2/notifications/letter` with your own PDF.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrecompiledLetterRequest {
    /// Your own reference for the letter (required for a PDF).
    pub reference: String,
    /// The PDF, base64-encoded (A4, the address in the address block).
    #[schema(format = Byte)]
    pub content: String,
    /// `second` unless chosen.
    #[schema(value_type = PrecompiledPostage, required = false)]
    pub postage: Option<PrecompiledPostage>,
}

/// A precompiled letter's postage.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PrecompiledPostage {
    First,
    Second,
    Economy,
}

/// A letter's postage.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Postage {
    First,
    Second,
    Economy,
    Europe,
    RestOfWorld,
}

/// `POST /v2/template/{id}/preview`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// A value for each of the template's placeholders, by name.
    #[schema(value_type = Option<Object>)]
    pub personalisation: Option<Map<String, Value>>,
}

/// The template a message was made from.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateRef {
    /// The template's id.
    pub id: String,
    /// Its version when the message was made.
    pub version: i64,
    /// Where to read that version.
    pub uri: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmailContent {
    /// The body, with the personalisation filled in.
    pub body: String,
    /// The subject, with the personalisation filled in.
    pub subject: Option<String>,
    /// The address it is sent from.
    pub from_email: String,
    /// The unsubscribe address you gave, if any.
    pub one_click_unsubscribe_url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SmsContent {
    /// The text, with the personalisation filled in.
    pub body: String,
    /// The sender the recipient sees.
    pub from_number: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LetterContent {
    /// The letter's text, with the personalisation filled in.
    pub body: String,
    /// Its heading.
    pub subject: Option<String>,
}

/// What sanitising changed in one value.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SanitisedValue {
    pub unsanitised: String,
    pub sanitised: String,
}

/// 201 for an email.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentEmail {
    /// The message's id: keep it to read its status.
    pub id: String,
    /// The reference you gave, if any.
    pub reference: Option<String>,
    pub content: EmailContent,
    /// Where to read it: `GET` this address.
    pub uri: String,
    /// The template and version it was made from.
    pub template: TemplateRef,
    /// Always null: scheduling is not offered.
    pub scheduled_for: Option<String>,
    /// The values `sanitise_content_for` changed, by placeholder.
    pub sanitised_content: BTreeMap<String, SanitisedValue>,
}

/// 201 for a text message.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentSms {
    /// The message's id: keep it to read its status.
    pub id: String,
    /// The reference you gave, if any.
    pub reference: Option<String>,
    pub content: SmsContent,
    /// Where to read it: `GET` this address.
    pub uri: String,
    /// The template and version it was made from.
    pub template: TemplateRef,
    /// Always null: scheduling is not offered.
    pub scheduled_for: Option<String>,
}

/// 201 for a letter from a template.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentLetter {
    /// The message's id: keep it to read its status.
    pub id: String,
    /// The reference you gave, if any.
    pub reference: Option<String>,
    pub content: LetterContent,
    /// Where to read it: `GET` this address.
    pub uri: String,
    /// The template and version it was made from.
    pub template: TemplateRef,
    /// Always null: scheduling is not offered.
    pub scheduled_for: Option<String>,
}

/// 201 for a precompiled letter.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentPrecompiledLetter {
    /// The message's id: keep it to read its status.
    pub id: String,
    /// The reference you gave, if any.
    pub reference: Option<String>,
    /// The postage the letter goes with.
    pub postage: String,
}

/// The answer to `POST /v2/notifications/letter`: from a template, or a PDF.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SentLetterAnswer {
    Template(SentLetter),
    Precompiled(SentPrecompiledLetter),
}

/// The request of `POST /v2/notifications/letter`: a template, or a PDF.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LetterSendRequest {
    Template(LetterRequest),
    Precompiled(PrecompiledLetterRequest),
}

/// Always empty: this service keeps no costs.
#[derive(Debug, Serialize, ToSchema)]
pub struct CostDetails {}

/// A message and its status.
#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    /// The message's id.
    pub id: String,
    /// The reference you gave, if any.
    pub reference: Option<String>,
    /// An email's recipient.
    pub email_address: Option<String>,
    /// A text message's recipient.
    pub phone_number: Option<String>,
    /// A letter's address, line by line.
    pub line_1: Option<String>,
    pub line_2: Option<String>,
    pub line_3: Option<String>,
    pub line_4: Option<String>,
    pub line_5: Option<String>,
    pub line_6: Option<String>,
    pub postcode: Option<String>,
    /// `email`, `sms` or `letter`.
    #[serde(rename = "type")]
    pub notification_type: String,
    /// See the statuses in the documentation.
    pub status: String,
    /// The template and version it was made from.
    pub template: TemplateRef,
    /// The content as sent.
    pub body: String,
    /// An email's subject or a letter's heading.
    pub subject: Option<String>,
    /// `%Y-%m-%dT%H:%M:%S.%fZ`, UTC.
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    /// Always null: messages are sent through the API.
    pub created_by_name: Option<String>,
    /// When it was handed to the provider.
    #[schema(value_type = Option<String>)]
    pub sent_at: Option<Timestamp>,
    /// When it reached its final status.
    #[schema(value_type = Option<String>)]
    pub completed_at: Option<Timestamp>,
    /// Always null: scheduling is not offered.
    pub scheduled_for: Option<String>,
    /// A letter's postage.
    pub postage: Option<String>,
    pub one_click_unsubscribe_url: Option<String>,
    pub cost_details: CostDetails,
    /// Always 0: this service keeps no costs.
    pub cost_in_pounds: f64,
    pub is_cost_data_ready: bool,
    /// Letters only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub estimated_delivery: Option<Timestamp>,
}

/// Links of a page: `next` while there may be more.
#[derive(Debug, Serialize, ToSchema)]
pub struct Links {
    /// This page.
    pub current: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The next page, older messages (absent on the last).
    pub next: Option<String>,
}

/// `GET /v2/notifications`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub notifications: Vec<Notification>,
    pub links: Links,
}

/// A placeholder of a template.
#[derive(Debug, Serialize, ToSchema)]
pub struct Placeholder {
    pub required: bool,
}

/// A template at a version.
#[derive(Debug, Serialize, ToSchema)]
pub struct Template {
    pub id: String,
    pub name: String,
    /// `email`, `sms` or `letter`.
    #[serde(rename = "type")]
    pub template_type: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub updated_at: Option<Timestamp>,
    pub created_by: String,
    pub version: i64,
    pub body: String,
    pub subject: Option<String>,
    pub letter_contact_block: Option<String>,
    pub postage: Option<String>,
    pub personalisation: BTreeMap<String, Placeholder>,
}

/// `GET /v2/templates`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateList {
    pub templates: Vec<Template>,
}

/// `POST /v2/template/{id}/preview`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplatePreview {
    pub id: String,
    #[serde(rename = "type")]
    pub template_type: String,
    pub version: i64,
    pub body: String,
    pub subject: Option<String>,
    pub postage: Option<String>,
}

/// A text message a service received.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedText {
    pub id: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    pub service_id: String,
    pub notify_number: String,
    pub user_number: String,
    pub content: String,
}

/// `GET /v2/received-text-messages`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedTextList {
    pub received_text_messages: Vec<ReceivedText>,
    pub links: Links,
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    /// The fields a request type describes, and those it requires.
    fn fields<T: PartialSchema>() -> (Vec<String>, Vec<String>) {
        let schema = serde_json::to_value(T::schema()).unwrap();
        let mut names: Vec<String> = schema["properties"].as_object().unwrap().keys().cloned().collect();
        let mut required: Vec<String> =
            schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
        names.sort();
        required.sort();
        (names, required)
    }

    fn sorted(items: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn request_types_describe_the_fields_the_handlers_read() {
        use super::super::send::{allowed_fields, required_fields, PRECOMPILED_FIELDS, PRECOMPILED_REQUIRED};
        use app::domain::TemplateType::*;
        assert_eq!(fields::<EmailRequest>(), (sorted(allowed_fields(Email)), sorted(&required_fields(Email))));
        assert_eq!(fields::<SmsRequest>(), (sorted(allowed_fields(Sms)), sorted(&required_fields(Sms))));
        assert_eq!(fields::<LetterRequest>(), (sorted(allowed_fields(Letter)), sorted(&required_fields(Letter))));
        assert_eq!(fields::<PrecompiledLetterRequest>(), (sorted(PRECOMPILED_FIELDS), sorted(PRECOMPILED_REQUIRED)));
    }

    #[test]
    fn postage_names_are_the_ones_the_handler_accepts() {
        let schema = serde_json::to_value(Postage::schema()).unwrap();
        let names: Vec<&str> = schema["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(names, super::super::send::POSTAGE);
        let schema = serde_json::to_value(PrecompiledPostage::schema()).unwrap();
        let names: Vec<&str> = schema["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(names, super::super::send::PRECOMPILED_POSTAGE);
    }
}

/// `POST /v2/notifications/bulk` (GC Notify's shape): a list of recipients
/// sent as one job, given as `rows` or as `csv` (one of the two).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// A name for the job: the admin shows it as the job's file name.
    #[schema(example = "December reminders", min_length = 1, max_length = 255)]
    pub name: String,
    /// The id of one of the service's templates.
    pub template_id: uuid::Uuid,
    /// The list as rows: the first is the header (`email address`,
    /// `phone number`, or `address line 1`… for letters, and a column for
    /// each placeholder), then one row per message. Cells are strings,
    /// numbers, booleans or null. At most 100,000 rows after the header.
    #[schema(value_type = Option<Vec<Vec<Object>>>, required = false)]
    pub rows: Option<Vec<Vec<Value>>>,
    /// The list as CSV text, its first line the header. At most 10MB.
    pub csv: Option<String>,
    /// When to send it: now when null or left out, else a time within the
    /// next 96 hours (ISO 8601, `2026-12-08T09:00:00Z`; UTC unless it has
    /// an offset).
    pub scheduled_for: Option<String>,
    /// One of the service's reply-to addresses, text message senders or
    /// letter contact blocks, as the template's type needs (else its
    /// default).
    #[schema(value_type = uuid::Uuid, required = false)]
    pub reply_to_id: Option<uuid::Uuid>,
}

/// The key that made a job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobKey {
    pub id: String,
    /// `normal`, `team` or `test`.
    pub key_type: String,
}

/// How many of a job's messages have a status.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobStatistic {
    pub status: String,
    pub count: i64,
}

/// A job (GC Notify's fields).
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkJob {
    pub id: String,
    /// The `name` it was given.
    pub original_file_name: String,
    /// Messages it sends (its rows after the header, blank rows left out).
    pub notification_count: i64,
    /// `scheduled`, `pending`, `in progress`, `finished`, `cancelled` or
    /// `sending limits exceeded` (a scheduled job whose day had no room).
    pub job_status: String,
    /// The template's id.
    pub template: String,
    pub template_version: i64,
    pub template_type: String,
    /// The service's id.
    pub service: String,
    pub scheduled_for: Option<String>,
    pub created_at: String,
    pub processing_started: Option<String>,
    pub processing_finished: Option<String>,
    pub api_key: Option<JobKey>,
    /// The team member who sent it from the admin (null for the API).
    pub created_by: Option<String>,
    /// Where to read it: `GET` this address.
    pub uri: String,
    /// Its messages by status (`GET` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistics: Option<Vec<JobStatistic>>,
}

/// A job, wrapped as GC Notify wraps it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkJobAnswer {
    pub data: BulkJob,
}
