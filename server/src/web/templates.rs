//! Templates pages, for users with `manage_templates`: list, create, and
//! edit (each save makes a new version).

use super::error::{not_found, AppError};
use super::form::FormFields;
use super::guard::open_service_page;
use super::render::render;
use super::{found, SignedIn};
use crate::AppState;
use app::domain::{Permission, TemplateType};
use app::ssr::store;
use app::view_model::{Content, FormErrors, NavItem, Page, TemplateForm, TemplateRow};
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;

pub const MAX_NAME_LENGTH: usize = 255;

async fn open(
    state: &AppState,
    service_id: &str,
    req: Request,
) -> Result<(SignedIn, Page, Parts, FormFields), Response> {
    let opened = open_service_page(state, service_id, req, &[Permission::ManageTemplates], NavItem::Templates).await?;
    Ok((opened.signed_in, opened.page, opened.parts, opened.form))
}

macro_rules! open_or_return {
    ($state:expr, $service_id:expr, $req:expr) => {
        match open(&$state, &$service_id, $req).await {
            Ok(opened) => opened,
            Err(response) => return Ok(response),
        }
    };
}

pub async fn list(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let (signed_in, mut page, parts, _) = open_or_return!(state, service_id, req);
    let rows = store::list_templates(&state.pool, &service_id)
        .await?
        .into_iter()
        .filter_map(|t| t.kind().map(|kind| TemplateRow { kind, version: t.version, name: t.name, id: t.id }))
        .collect();
    page.flash =
        store::take_flash(&state.pool, &signed_in.digest).await?.map(|message| app::view_model::Flash { message });
    page.content = Content::Templates(rows);
    Ok(render(&state, &parts, page, StatusCode::OK).await)
}

pub async fn new_form(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let (_, mut page, parts, _) = open_or_return!(state, service_id, req);
    page.content = Content::TemplateForm(TemplateForm::default());
    Ok(render(&state, &parts, page, StatusCode::OK).await)
}

/// Checks a submitted template; `kind` is fixed when editing.
fn validate(form: &FormFields, kind: Option<TemplateType>) -> (TemplateForm, Option<TemplateType>) {
    let mut errors = FormErrors::default();
    let raw_type = form.get("template_type").to_string();
    let kind = kind.or_else(|| TemplateType::parse(&raw_type));
    if kind.is_none() {
        errors.push("template_type", "Select a type of template");
    }
    let name = form.get("name").trim().to_string();
    if name.is_empty() {
        errors.push("name", "Enter a name for this template");
    } else if name.chars().count() > MAX_NAME_LENGTH {
        errors.push("name", "Template name must be 255 characters or fewer");
    }
    let subject = form.get("subject").trim().to_string();
    if kind.is_some_and(TemplateType::has_subject) && subject.is_empty() {
        errors.push("subject", "Enter a subject line");
    }
    let content = form.get("template_content").replace("\r\n", "\n");
    if content.trim().is_empty() {
        errors.push("template_content", "Enter the message");
    }
    let valid = errors.is_empty();
    let t = TemplateForm {
        id: None,
        template_type: kind.map(|k| k.as_str().to_string()).unwrap_or(raw_type),
        name,
        subject,
        content: content.trim_end().to_string(),
        version: None,
        errors,
    };
    (t, if valid { kind } else { None })
}

pub async fn create(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let (signed_in, mut page, parts, form) = open_or_return!(state, service_id, req);
    let (t, kind) = validate(&form, None);
    let Some(kind) = kind else {
        page.content = Content::TemplateForm(t);
        return Ok(render(&state, &parts, page, StatusCode::OK).await);
    };
    store::create_template(
        &state.pool,
        store::NewTemplate {
            service_id: &service_id,
            name: &t.name,
            template_type: kind,
            subject: kind.has_subject().then_some(t.subject.as_str()),
            content: &t.content,
        },
    )
    .await?;
    store::set_flash(&state.pool, &signed_in.digest, &format!("‘{}’ was saved", t.name)).await?;
    Ok(found(&format!("/services/{service_id}/templates")))
}

pub async fn edit_form(
    State(state): State<AppState>,
    Path((service_id, template_id)): Path<(String, String)>,
    req: Request,
) -> Result<Response, AppError> {
    let (_, mut page, parts, _) = open_or_return!(state, service_id, req);
    let found_template = match uuid::Uuid::parse_str(&template_id) {
        Ok(_) => store::get_template(&state.pool, &service_id, &template_id).await?,
        Err(_) => None,
    };
    let Some(t) = found_template.filter(|t| !t.archived) else { return Ok(not_found(&state, &parts).await) };
    page.content = Content::TemplateForm(TemplateForm {
        id: Some(t.id),
        template_type: t.template_type,
        name: t.name,
        subject: t.subject.unwrap_or_default(),
        content: t.content,
        version: Some(t.version),
        errors: FormErrors::default(),
    });
    Ok(render(&state, &parts, page, StatusCode::OK).await)
}

pub async fn update(
    State(state): State<AppState>,
    Path((service_id, template_id)): Path<(String, String)>,
    req: Request,
) -> Result<Response, AppError> {
    let (signed_in, mut page, parts, form) = open_or_return!(state, service_id, req);
    let existing = match uuid::Uuid::parse_str(&template_id) {
        Ok(_) => store::get_template(&state.pool, &service_id, &template_id).await?,
        Err(_) => None,
    };
    let Some(existing) = existing.filter(|t| !t.archived) else { return Ok(not_found(&state, &parts).await) };
    let (mut t, kind) = validate(&form, existing.kind());
    let Some(kind) = kind else {
        t.id = Some(existing.id);
        t.version = Some(existing.version);
        page.content = Content::TemplateForm(t);
        return Ok(render(&state, &parts, page, StatusCode::OK).await);
    };
    let subject = kind.has_subject().then_some(t.subject.as_str());
    store::update_template(&state.pool, &service_id, &existing.id, &t.name, subject, &t.content).await?;
    store::set_flash(&state.pool, &signed_in.digest, &format!("‘{}’ was saved", t.name)).await?;
    Ok(found(&format!("/services/{service_id}/templates")))
}
