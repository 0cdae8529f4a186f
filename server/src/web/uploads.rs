//! `/services/{id}/send/{template_id}/csv` (upload a list of recipients,
//! `send_messages`) and `/services/{id}/{template_id}/check/{upload_id}`
//! (what the file's check found); `app::ssr::uploads` owns the rules. The
//! upload is a multipart form (the file, and the session's CSRF token); a
//! form without a file answers with Notify's message.

use super::error::{found, PageError};
use super::extract::{SendFromFile, ServicePage};
use crate::AppState;
use app::domain::recipient_file::{recipient_columns, MAX_FILE_BYTES};
use app::pages::uploads::{banner_for, CheckUpload, UploadForm};
use app::ssr::store;
use app::ssr::uploads::{self, UploadProblem};
use app::view_model::FormErrors;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::header;
use axum::response::Response;

type Answer = Result<Response, PageError>;

/// The largest upload request read: the file and the form around it.
pub const UPLOAD_LIMIT: usize = MAX_FILE_BYTES + 64 * 1024;

async fn template(
    state: &AppState,
    ctx: &ServicePage<SendFromFile>,
    template_id: &str,
) -> Result<store::Template, PageError> {
    store::get_template(&state.pool, ctx.id(), template_id).await?.filter(|t| !t.archived).ok_or(PageError::NotFound)
}

fn form(template: &store::Template, errors: FormErrors) -> UploadForm {
    let mut columns: Vec<String> = match template.template_type {
        app::domain::TemplateType::Letter => {
            ["address line 1", "address line 2", "address line 3"].iter().map(|c| c.to_string()).collect()
        }
        kind => vec![recipient_columns(kind)[0].to_string()],
    };
    // The template's placeholders other than the recipient's own column.
    columns.extend(app::ssr::one_off::placeholders(template));
    UploadForm {
        template_id: template.id.clone(),
        template_name: template.name.clone(),
        template_type: template.template_type,
        columns,
        errors,
    }
}

pub async fn upload_form(
    State(state): State<AppState>,
    ctx: ServicePage<SendFromFile>,
    Path((_, template_id)): Path<(String, String)>,
) -> Answer {
    let template = template(&state, &ctx, &template_id).await?;
    Ok(ctx.show(form(&template, FormErrors::default())))
}

/// What a posted upload form held.
#[derive(Default)]
struct Posted {
    csrf_token: String,
    file_name: String,
    bytes: Vec<u8>,
    too_large: bool,
}

async fn read_posted(state: &AppState, request: Request) -> Result<Option<Posted>, PageError> {
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let mut posted = Posted::default();
    if content_type.starts_with("multipart/form-data") {
        let Ok(mut multipart) = Multipart::from_request(request, state).await else { return Ok(None) };
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    posted.too_large = true;
                    break;
                }
                Err(_) => return Ok(None),
            };
            match field.name() {
                Some("csrf_token") => posted.csrf_token = field.text().await.unwrap_or_default(),
                Some("file") => {
                    posted.file_name = field.file_name().unwrap_or_default().to_string();
                    match field.bytes().await {
                        Ok(bytes) if bytes.len() > MAX_FILE_BYTES => posted.too_large = true,
                        Ok(bytes) => posted.bytes = bytes.to_vec(),
                        Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => posted.too_large = true,
                        Err(_) => return Ok(None),
                    }
                }
                _ => {}
            }
        }
    } else {
        // A plain form (no file chosen in a browser that sends none): read
        // its token; Notify's message follows.
        let Ok(bytes) = axum::body::to_bytes(request.into_body(), super::extract::FORM_LIMIT).await else {
            return Ok(None);
        };
        posted.csrf_token = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf_token")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
    }
    Ok(Some(posted))
}

pub async fn upload(
    State(state): State<AppState>,
    ctx: ServicePage<SendFromFile>,
    Path((_, template_id)): Path<(String, String)>,
    request: Request,
) -> Answer {
    let Some(posted) = read_posted(&state, request).await? else { return Err(ctx.bad_request()) };
    if !ctx.signed_in.csrf_matches(&posted.csrf_token) {
        return Err(ctx.forbidden());
    }
    let template = template(&state, &ctx, &template_id).await?;
    let outcome = if posted.too_large {
        Err(UploadProblem::File(app::domain::recipient_file::FileProblem::TooLarge))
    } else {
        let sheets = crate::spreadsheets::ChildReader::new(state.config.letter_checker.clone())
            .map_err(|e| PageError::Internal(e.into()))?;
        uploads::upload(
            &state.pool,
            ctx.id(),
            &template,
            &ctx.signed_in.user.id,
            &posted.file_name,
            &posted.bytes,
            &sheets,
        )
        .await?
    };
    match outcome {
        Ok(upload_id) => {
            tracing::info!(service_id = %ctx.id(), template_id = %template.id, upload_id = %upload_id, "list of recipients uploaded");
            Ok(found(&ctx.path(&format!("/{}/check/{upload_id}", template.id))))
        }
        Err(problem) => {
            let mut errors = FormErrors::default();
            errors.push("file", problem.message());
            Ok(ctx.show(form(&template, errors)))
        }
    }
}

pub async fn check(
    State(state): State<AppState>,
    ctx: ServicePage<SendFromFile>,
    Path((_, template_id, upload_id)): Path<(String, String, String)>,
) -> Answer {
    let template = template(&state, &ctx, &template_id).await?;
    let Some(upload) = store::get_upload(&state.pool, ctx.id(), &template.id, &upload_id).await? else {
        return Err(PageError::NotFound);
    };
    Ok(ctx.show(check_page(&state, &ctx, &template, &upload, FormErrors::default()).await?))
}

/// The check page of `upload`, with the send form's `errors`.
pub async fn check_page(
    state: &AppState,
    ctx: &ServicePage<SendFromFile>,
    template: &store::Template,
    upload: &store::Upload,
    errors: FormErrors,
) -> Result<CheckUpload, PageError> {
    let service = store::get_service(&state.pool, ctx.id()).await?.ok_or(PageError::NotFound)?;
    let check = uploads::check_upload(&state.pool, &service, template, upload).await?;
    let (banner, counts, rows_with_errors, rows) = match &check.checked {
        Ok(checked) => (
            banner_for(
                template.template_type,
                &check.file_name,
                checked,
                check.sent_previously,
                check.not_allowed,
                check.remaining_today,
            ),
            checked.counts.clone(),
            checked.rows_with_errors.clone(),
            checked.rows,
        ),
        Err(problem) => (
            Some(app::pages::uploads::Banner {
                heading: "Notify cannot read this file".into(),
                body: vec![problem.message()],
            }),
            Default::default(),
            Vec::new(),
            0,
        ),
    };
    let preview = if check.is_sendable() && banner.is_none() {
        check.preview.clone().map(|p| (p.recipient, p.subject, p.body))
    } else {
        None
    };
    let send_times = app::domain::job::send_time_choices(app::ssr::clock::now())
        .into_iter()
        .map(|(at, label)| (at.text(), label))
        .collect();
    Ok(CheckUpload {
        template_id: template.id.clone(),
        template_name: template.name.clone(),
        template_type: template.template_type,
        file_name: check.file_name.clone(),
        banner,
        counts,
        rows_with_errors,
        rows,
        preview,
        upload_id: upload.id.clone(),
        send_times,
        errors,
    })
}

/// "Send one message": an email or text message template (letters are sent
/// from a file).
async fn one_off_template(
    state: &AppState,
    ctx: &ServicePage<SendFromFile>,
    template_id: &str,
) -> Result<store::Template, PageError> {
    template(state, ctx, template_id).await.and_then(|t| {
        if t.template_type == app::domain::TemplateType::Letter {
            Err(PageError::NotFound)
        } else {
            Ok(t)
        }
    })
}

fn one_off_form(
    template: &store::Template,
    recipient: String,
    values: Vec<String>,
    errors: FormErrors,
) -> app::pages::uploads::SendOneForm {
    let names = app::ssr::one_off::placeholders(template);
    let placeholders =
        names.into_iter().enumerate().map(|(i, n)| (n, values.get(i).cloned().unwrap_or_default())).collect();
    app::pages::uploads::SendOneForm {
        template_id: template.id.clone(),
        template_name: template.name.clone(),
        template_type: template.template_type,
        placeholders,
        recipient,
        errors,
    }
}

pub async fn send_one_form(
    State(state): State<AppState>,
    ctx: ServicePage<SendFromFile>,
    Path((_, template_id)): Path<(String, String)>,
) -> Answer {
    let template = one_off_template(&state, &ctx, &template_id).await?;
    Ok(ctx.show(one_off_form(&template, String::new(), Vec::new(), FormErrors::default())))
}

pub async fn send_one(
    State(state): State<AppState>,
    ctx: ServicePage<SendFromFile>,
    Path((_, template_id)): Path<(String, String)>,
    super::extract::CsrfForm(form): super::extract::CsrfForm<std::collections::HashMap<String, String>>,
) -> Answer {
    let template = one_off_template(&state, &ctx, &template_id).await?;
    let service = store::get_service(&state.pool, ctx.id()).await?.ok_or(PageError::NotFound)?;
    let recipient = form.get(app::domain::recipient_file::ONE_OFF_RECIPIENT_FIELD).cloned().unwrap_or_default();
    let count = app::ssr::one_off::placeholders(&template).len();
    let values: Vec<String> =
        (0..count).map(|i| form.get(&app::ssr::one_off::placeholder_field(i)).cloned().unwrap_or_default()).collect();
    match app::ssr::one_off::send(&state.pool, &service, &template, &recipient, &values).await? {
        Ok(notification_id) => Ok(found(&ctx.path(&format!("/notification/{notification_id}")))),
        Err(problems) => {
            let mut errors = FormErrors::default();
            for (field, message) in problems {
                errors.push(&field, message);
            }
            Ok(ctx.show(one_off_form(&template, recipient, values, errors)))
        }
    }
}
