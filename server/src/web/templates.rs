//! Templates pages, for users with `manage_templates`: list, create, and
//! edit (each save makes a new version).

use super::error::{found, PageError};
use super::extract::{CsrfForm, ManageTemplates, ServicePage};
use crate::AppState;
use app::domain::senders::SenderKind;
use app::domain::{TemplateName, TemplateType};
use app::pages::templates::{TemplateForm, TemplateList, TemplateRow, TemplateSenderForm, BLANK};
use app::ssr::store;
use app::view_model::FormErrors;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

type Ctx = ServicePage<ManageTemplates>;
type Answer = Result<Response, PageError>;

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Answer {
    let rows = store::list_templates(&state.pool, ctx.id())
        .await?
        .into_iter()
        .map(|t| TemplateRow { kind: t.template_type, version: t.version, name: t.name, id: t.id })
        .collect();
    ctx.show_with_flash(&state, TemplateList { rows }).await
}

pub async fn new_form(ctx: Ctx) -> Response {
    ctx.show(TemplateForm::default())
}

/// A submitted template (the type only when creating one).
#[derive(Deserialize)]
pub struct SaveTemplate {
    #[serde(default)]
    template_type: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    template_content: String,
}

/// Checks a submitted template; `kind` is fixed when editing.
fn validate(form: SaveTemplate, kind: Option<TemplateType>) -> (TemplateForm, Option<TemplateType>) {
    let mut errors = FormErrors::default();
    let raw_type = form.template_type;
    let kind = kind.or_else(|| TemplateType::parse(&raw_type));
    if kind.is_none() {
        errors.push("template_type", "Select a type of template");
    }
    let name = match TemplateName::parse(&form.name) {
        Ok(name) => name.as_str().to_string(),
        Err(e) => {
            errors.push("name", TemplateName::message(e));
            form.name.trim().to_string()
        }
    };
    let subject = form.subject.trim().to_string();
    if kind.is_some_and(TemplateType::has_subject) && subject.is_empty() {
        errors.push("subject", "Enter a subject line");
    }
    // Kept as the browser sent it (`\r\n` line endings), as Notify keeps it.
    let content = form.template_content.clone();
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
        contact_block: None,
        errors,
    };
    (t, if valid { kind } else { None })
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm<SaveTemplate>) -> Answer {
    let (t, kind) = validate(form, None);
    let Some(kind) = kind else { return Ok(ctx.show(t)) };
    store::create_template(
        &state.pool,
        store::NewTemplate {
            service_id: ctx.id(),
            name: &t.name,
            template_type: kind,
            subject: kind.has_subject().then_some(t.subject.as_str()),
            content: &t.content,
            created_by: Some(&ctx.signed_in.user.id),
            // A new letter template has no contact block until one is
            // chosen, as in Notify.
            letter_contact_id: None,
        },
    )
    .await?;
    ctx.flash(&state, &format!("‘{}’ was saved", t.name)).await?;
    Ok(found(&ctx.path("/templates")))
}

/// The service's template with this id, unless archived; 404 otherwise.
async fn find_template(state: &AppState, ctx: &Ctx, template_id: &str) -> Result<store::Template, PageError> {
    if uuid::Uuid::parse_str(template_id).is_err() {
        return Err(PageError::NotFound);
    }
    let found = store::get_template(&state.pool, ctx.id(), template_id).await?;
    found.filter(|t| !t.archived).ok_or(PageError::NotFound)
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, template_id)): Path<(String, String)>,
) -> Answer {
    let t = find_template(&state, &ctx, &template_id).await?;
    let contact_block = contact_block_of(&state, &ctx, &t).await?;
    ctx.show_with_flash(
        &state,
        TemplateForm {
            id: Some(t.id),
            template_type: t.template_type.as_str().to_string(),
            name: t.name,
            subject: t.subject.unwrap_or_default(),
            content: t.content,
            version: Some(t.version),
            contact_block,
            errors: FormErrors::default(),
        },
    )
    .await
}

/// A letter template's contact block for its page (`Some(None)`: none);
/// `None` for other templates.
async fn contact_block_of(
    state: &AppState,
    ctx: &Ctx,
    t: &store::Template,
) -> Result<Option<Option<String>>, PageError> {
    if t.template_type != TemplateType::Letter {
        return Ok(None);
    }
    let Some(id) = t.letter_contact_id.as_deref() else { return Ok(Some(None)) };
    let contacts = store::senders(&state.pool, ctx.id(), SenderKind::LetterContact).await?;
    Ok(Some(contacts.into_iter().find(|c| c.id == id).map(|c| c.value)))
}

/// The service's letter template with this id; 404 for any other.
async fn find_letter_template(state: &AppState, ctx: &Ctx, template_id: &str) -> Result<store::Template, PageError> {
    let t = find_template(state, ctx, template_id).await?;
    if t.template_type != TemplateType::Letter {
        return Err(PageError::NotFound);
    }
    Ok(t)
}

async fn sender_page(state: &AppState, ctx: &Ctx, t: store::Template) -> Result<TemplateSenderForm, PageError> {
    let choices = store::senders(&state.pool, ctx.id(), SenderKind::LetterContact)
        .await?
        .into_iter()
        .map(|c| (c.id, c.value))
        .collect();
    Ok(TemplateSenderForm {
        checked: t.letter_contact_id.clone().unwrap_or_else(|| BLANK.to_string()),
        template_id: t.id,
        template_name: t.name,
        choices,
        errors: FormErrors::default(),
    })
}

pub async fn sender_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, template_id)): Path<(String, String)>,
) -> Answer {
    let t = find_letter_template(&state, &ctx, &template_id).await?;
    Ok(ctx.show(sender_page(&state, &ctx, t).await?))
}

#[derive(Deserialize)]
pub struct ChooseSender {
    #[serde(default)]
    sender: String,
}

/// Saves the letter template's contact block (a new version), then back to
/// the template.
pub async fn set_sender(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, template_id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ChooseSender>,
) -> Answer {
    let t = find_letter_template(&state, &ctx, &template_id).await?;
    if form.sender.is_empty() {
        let mut page = sender_page(&state, &ctx, t).await?;
        page.errors.push("sender", "Select a sender address");
        return Ok(ctx.show(page));
    }
    let choice = (form.sender != BLANK).then_some(form.sender.as_str());
    match store::set_template_letter_contact(&state.pool, ctx.id(), &t.id, choice, &ctx.signed_in.user.id).await? {
        store::ContactChoice::Saved(_) => {
            ctx.flash(&state, &format!("‘{}’ was saved", t.name)).await?;
            Ok(found(&ctx.path(&format!("/templates/{}", t.id))))
        }
        store::ContactChoice::NoSuchTemplate => Err(PageError::NotFound),
        // Not a choice the page offers (or one deleted meanwhile).
        store::ContactChoice::NoSuchContact => Err(ctx.bad_request()),
    }
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, template_id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<SaveTemplate>,
) -> Answer {
    let existing = find_template(&state, &ctx, &template_id).await?;
    let (mut t, kind) = validate(form, Some(existing.template_type));
    let Some(kind) = kind else {
        t.contact_block = contact_block_of(&state, &ctx, &existing).await?;
        t.id = Some(existing.id);
        t.version = Some(existing.version);
        return Ok(ctx.show(t));
    };
    let subject = kind.has_subject().then_some(t.subject.as_str());
    store::update_template(&state.pool, ctx.id(), &existing.id, &t.name, subject, &t.content, &ctx.signed_in.user.id)
        .await?;
    ctx.flash(&state, &format!("‘{}’ was saved", t.name)).await?;
    Ok(found(&ctx.path("/templates")))
}
