//! `POST /v2/notifications/bulk` in GC Notify's shape (`name`,
//! `template_id`, `rows` or `csv`, `scheduled_for`, `reply_to_id`) and
//! `GET /v2/notifications/bulk/{id}`: a list sent as one job, through the
//! same rules as a file sent from the admin (`app::ssr::jobs`). Each refusal
//! is Notify's error JSON; a file's problems name their rows (the header is
//! row 1, as in a spreadsheet: `rows[1]` is row 2).

use super::error::ApiError;
use super::schema::{BulkJob, BulkJobAnswer, JobKey, JobStatistic};
use super::send::{created, key_may_send_letters, may_send, within_rate_limit};
use super::{base_url, json_body, string_field};
use crate::api_v2::auth::Caller;
use crate::AppState;
use app::domain::job::parse_scheduled_for;
use app::domain::recipient_file::{MAX_FILE_BYTES, MAX_ROWS, MAX_ROWS_SHOWN};
use app::domain::{ServicePermission, TemplateType};
use app::ssr::jobs::{self, List, NotStarted, Sender};
use app::ssr::uploads::UploadCheck;
use app::ssr::{clock, store};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};

/// The largest bulk request read: a list of [`MAX_FILE_BYTES`] as JSON
/// (quotes and commas around every cell) and the fields around it.
pub const BULK_BODY_LIMIT: usize = 3 * MAX_FILE_BYTES;

const FIELDS: &[&str] = &["name", "template_id", "rows", "csv", "scheduled_for", "reply_to_id"];

/// The request's own problems, all of them (Notify's `ValidationError`s).
fn validate(body: &Map<String, Value>) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for key in body.keys() {
        if !FIELDS.contains(&key.as_str()) {
            errors.push(format!("Additional properties are not allowed ({key} was unexpected)"));
        }
    }
    match body.get("name") {
        None => errors.push("name is a required property".into()),
        Some(Value::String(s)) if s.trim().is_empty() => errors.push("name should be non-empty".into()),
        Some(Value::String(s)) if s.chars().count() > 255 => errors.push("name is too long".into()),
        Some(Value::String(_)) => {}
        Some(other) => errors.push(format!("name {other} is not of type string")),
    }
    match body.get("template_id") {
        None => errors.push("template_id is a required property".into()),
        Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => {}
        Some(_) => errors.push("template_id is not a valid UUID".into()),
    }
    match (body.get("rows"), body.get("csv")) {
        (Some(_), Some(_)) | (None, None) => errors.push("You should specify either rows or csv".into()),
        (Some(Value::Array(_)), None) | (None, Some(Value::String(_))) => {}
        (Some(_), None) => errors.push("rows is not of type array".into()),
        (None, Some(_)) => errors.push("csv is not of type string".into()),
    }
    match body.get("scheduled_for") {
        None | Some(Value::Null) | Some(Value::String(_)) => {}
        Some(_) => errors.push("scheduled_for is not of type string, null".into()),
    }
    match body.get("reply_to_id") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => {}
        Some(_) => errors.push("reply_to_id is not a valid UUID".into()),
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// `rows` (an array whose first row is the header) as CSV text. A cell is
/// a string, a number or a boolean (written as JSON writes it), or null
/// (empty).
fn rows_as_csv(rows: &[Value]) -> Result<String, ApiError> {
    if rows.len() > MAX_ROWS + 1 {
        return Err(ApiError::bad_request(format!("Too many rows. Maximum number of rows allowed is {MAX_ROWS}")));
    }
    let mut size = 0usize;
    let mut records = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let Value::Array(cells) = row else {
            return Err(ApiError::validation(vec![format!("rows[{i}] is not of type array")]));
        };
        let mut record = Vec::with_capacity(cells.len());
        for cell in cells {
            let text = match cell {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                _ => {
                    return Err(ApiError::validation(vec![format!(
                        "rows[{i}] has a cell that is not a string, number, boolean or null"
                    )]))
                }
            };
            size += text.len() + 1;
            record.push(text);
        }
        if size > MAX_FILE_BYTES {
            return Err(too_large());
        }
        records.push(record);
    }
    Ok(app::domain::recipient_file::rows_to_text(records))
}

fn too_large() -> ApiError {
    ApiError::bad_request("The list must be smaller than 10MB")
}

/// A file's problems, as Notify-style errors: the first problem of the
/// file as a whole, else every row with errors (the first
/// [`MAX_ROWS_SHOWN`]).
fn check_errors(check: &UploadCheck, key_type: app::domain::KeyType) -> ApiError {
    let kind = check.template_type;
    let checked = match &check.checked {
        Ok(c) => c,
        Err(problem) => return ApiError::bad_request(problem.message()),
    };
    if checked.too_many_rows {
        return ApiError::bad_request(format!("Too many rows. Maximum number of rows allowed is {MAX_ROWS}"));
    }
    if !checked.missing_recipient_columns.is_empty() {
        let needed = match kind {
            TemplateType::Letter => "at least 3 of address line 1 to address line 7 and postcode".to_string(),
            _ => checked.missing_recipient_columns.join(", "),
        };
        return ApiError::bad_request(format!("Missing column headers: {needed}"));
    }
    if !checked.duplicate_recipient_columns.is_empty() {
        return ApiError::bad_request(format!(
            "Duplicate column headers: {}",
            checked.duplicate_recipient_columns.join(", ")
        ));
    }
    if !checked.missing_placeholders.is_empty() {
        return ApiError::bad_request(format!("Missing column headers: {}", checked.missing_placeholders.join(", ")));
    }
    if checked.rows == 0 {
        return ApiError::bad_request("The list has no rows after its header");
    }
    if checked.counts.any() {
        let mut errors = vec![("BadRequestError", "Some rows have errors".to_string())];
        errors.extend(checked.rows_with_errors.iter().take(MAX_ROWS_SHOWN).map(|r| {
            let problems: Vec<String> = r.errors.iter().map(|e| format!("`{}`: {}", e.column, e.message)).collect();
            ("BadRequestError", format!("Row {} - {}", r.row, problems.join(", ")))
        }));
        return ApiError { status: StatusCode::BAD_REQUEST, errors };
    }
    if check.not_allowed > 0 {
        let why = if key_type == app::domain::KeyType::Team {
            "you used a team and guest list API key"
        } else {
            "your service is in trial mode. You can only send to members of your team and your guest list"
        };
        return ApiError::bad_request(format!("You cannot send to these recipients because {why}."));
    }
    if checked.rows as i64 > check.remaining_today {
        return over_limit(check.remaining_today, checked.rows as i64);
    }
    ApiError::bad_request("The list cannot be sent")
}

fn over_limit(remaining: i64, wanted: i64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequestsError",
        format!(
            "You only have {remaining} remaining messages before you reach your daily limit. You've tried to send {wanted} messages."
        ),
    )
}

/// A job as the API answers it (GC Notify's job fields), with its
/// messages by status when `statistics`.
async fn job_answer(state: &AppState, job: &store::Job, statistics: bool) -> anyhow::Result<BulkJobAnswer> {
    let statistics = if statistics {
        let counts = store::job_status_counts(&state.pool, &job.id).await?;
        Some(counts.into_iter().map(|(status, count)| JobStatistic { status: status.as_str().into(), count }).collect())
    } else {
        None
    };
    Ok(BulkJobAnswer {
        data: BulkJob {
            id: job.id.clone(),
            original_file_name: job.original_file_name.clone(),
            notification_count: job.notification_count,
            job_status: job.job_status.as_str().into(),
            template: job.template_id.clone(),
            template_version: job.template_version,
            template_type: job.notification_type.as_str().into(),
            service: job.service_id.clone(),
            scheduled_for: job.scheduled_for.map(|t| t.text()),
            created_at: job.created_at.text(),
            processing_started: job.processing_started.map(|t| t.text()),
            processing_finished: job.processing_finished.map(|t| t.text()),
            api_key: job
                .api_key_id
                .as_ref()
                .map(|id| JobKey { id: id.clone(), key_type: job.key_type.as_str().into() }),
            created_by: job.created_by.clone(),
            uri: format!("{}/v2/notifications/bulk/{}", base_url(state), job.id),
            statistics,
        },
    })
}

pub async fn bulk(state: &AppState, caller: &Caller, raw: &[u8]) -> Result<Response, ApiError> {
    within_rate_limit(state, caller)?;
    let body = json_body(raw)?;
    validate(&body)?;
    let template_id = string_field(&body, "template_id").unwrap_or_default();
    let template =
        caller.snapshot.templates.get(&template_id).ok_or_else(|| ApiError::bad_request("Template not found"))?;
    if template.archived {
        return Err(ApiError::bad_request("Template has been deleted"));
    }
    let t = template.template_type;
    let permission = match t {
        TemplateType::Email => ServicePermission::Email,
        TemplateType::Sms => ServicePermission::Sms,
        TemplateType::Letter => ServicePermission::Letter,
    };
    may_send(caller, t, permission)?;
    if t == TemplateType::Letter {
        key_may_send_letters(caller)?;
    }
    let scheduled_for = match body.get("scheduled_for").and_then(Value::as_str) {
        Some(text) => Some(parse_scheduled_for(text, clock::now()).map_err(|e| ApiError::bad_request(e.message()))?),
        None => None,
    };
    let reply_to = match string_field(&body, "reply_to_id") {
        None => None,
        Some(id) => {
            let list = match t {
                TemplateType::Email => &caller.snapshot.reply_to,
                TemplateType::Sms => &caller.snapshot.sms_senders,
                TemplateType::Letter => &caller.snapshot.letter_contacts,
            };
            match list.iter().find(|s| s.id == id) {
                Some(sender) => Some(sender.value.clone()),
                None => {
                    return Err(ApiError::bad_request(format!(
                        "reply_to_id {id} does not exist in database for service id {}",
                        caller.service.id
                    )))
                }
            }
        }
    };
    let content = match (body.get("rows"), body.get("csv")) {
        (Some(Value::Array(rows)), _) => rows_as_csv(rows)?,
        (_, Some(Value::String(csv))) => csv.clone(),
        _ => return Err(ApiError::validation(vec!["You should specify either rows or csv".into()])),
    };
    if content.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    // Control characters are refused, as in an uploaded file.
    let content = app::domain::recipient_file::decode(content.as_bytes())
        .map_err(|problem| ApiError::bad_request(problem.message()))?;
    let name = string_field(&body, "name").unwrap_or_default();
    let sender = Sender::api_key(&caller.key_id, caller.key_type, &caller.service);
    let list = List { file_name: name.trim(), content: &content, delimiter: b',' };
    match jobs::start(&state.pool, &caller.service, template, list, &sender, scheduled_for, reply_to).await? {
        Ok(job) => Ok(created(job_answer(state, &job, false).await?)),
        Err(NotStarted::Check(check)) => Err(check_errors(&check, caller.key_type)),
        Err(NotStarted::OverDailyLimit { remaining, wanted }) => Err(over_limit(remaining, wanted)),
    }
}

pub async fn get_job(state: &AppState, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ApiError::validation(vec!["job_id is not a valid UUID".into()]));
    }
    let job = store::get_job(&state.pool, &caller.service.id, id).await?.ok_or_else(ApiError::not_found)?;
    Ok((StatusCode::OK, Json(job_answer(state, &job, true).await?)).into_response())
}
