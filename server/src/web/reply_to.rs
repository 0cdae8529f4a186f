//! Reply-to email addresses: the list (for `manage_service` or
//! `manage_api_keys`), adding, changing, making the default and deleting
//! (for `manage_service`), at Notify's URLs with Notify's words. Notify
//! first sends a verification email to a new address; with no email
//! provider yet, addresses are taken as typed (README).

use super::error::{found, PageError};
use super::extract::{CsrfForm, ManageService, ReadSettings, ServicePage};
use crate::AppState;
use app::domain::{EmailAddress, Permission};
use app::pages::reply_to::{ReplyToForm, ReplyToList, ReplyToRow};
use app::ssr::store::{self, ReplyToError};
use app::view_model::FormErrors;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

type Answer = Result<Response, PageError>;

fn list_path(ctx: &ServicePage<ManageService>) -> String {
    ctx.path("/service-settings/email-reply-to")
}

pub async fn list(State(state): State<AppState>, ctx: ServicePage<ReadSettings>) -> Answer {
    let items = store::reply_to_addresses(&state.pool, ctx.id())
        .await?
        .into_iter()
        .map(|r| ReplyToRow { id: r.id, email_address: r.email_address, is_default: r.is_default })
        .collect();
    let can_manage = ctx.service.can(Permission::ManageService);
    ctx.show_with_flash(&state, ReplyToList { items, can_manage }).await
}

/// The service's address with this id, or 404.
async fn find(state: &AppState, service_id: &str, id: &str) -> Result<store::ReplyTo, PageError> {
    store::reply_to_addresses(&state.pool, service_id)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(PageError::NotFound)
}

pub async fn add_form(State(state): State<AppState>, ctx: ServicePage<ManageService>) -> Answer {
    let first = store::reply_to_addresses(&state.pool, ctx.id()).await?.is_empty();
    Ok(ctx.show(ReplyToForm { first, ..ReplyToForm::default() }))
}

#[derive(Deserialize)]
pub struct ReplyToFields {
    #[serde(default)]
    email_address: String,
    #[serde(default)]
    is_default: String,
}

/// The typed address, or the form's error in Notify's words.
fn parse_address(raw: &str, errors: &mut FormErrors) -> Option<String> {
    let trimmed = app::domain::strip_obscure_whitespace(raw);
    if trimmed.is_empty() {
        errors.push("email_address", "Enter an email address");
        return None;
    }
    match EmailAddress::parse(trimmed) {
        Ok(address) => Some(address.as_str().to_string()),
        Err(_) => {
            errors.push("email_address", "Enter an email address in the correct format, like name@example.gov.uk");
            None
        }
    }
}

fn duplicate_message(address: &str) -> String {
    format!("Your service already uses ‘{address}’ as an email reply-to address.")
}

pub async fn add(
    State(state): State<AppState>,
    ctx: ServicePage<ManageService>,
    CsrfForm(form): CsrfForm<ReplyToFields>,
) -> Answer {
    let first = store::reply_to_addresses(&state.pool, ctx.id()).await?.is_empty();
    let make_default = !form.is_default.is_empty();
    let mut errors = FormErrors::default();
    let again = |errors| ReplyToForm {
        email_address: form.email_address.clone(),
        make_default,
        first,
        errors,
        ..ReplyToForm::default()
    };
    let Some(address) = parse_address(&form.email_address, &mut errors) else { return Ok(ctx.show(again(errors))) };
    match store::add_reply_to(&state.pool, ctx.id(), &address, make_default, &ctx.signed_in.user.id).await? {
        Ok(_) => Ok(found(&list_path(&ctx))),
        Err(ReplyToError::Duplicate | ReplyToError::NotFound) => {
            errors.push("email_address", duplicate_message(&address));
            Ok(ctx.show(again(errors)))
        }
    }
}

async fn edit_page(state: &AppState, ctx: &ServicePage<ManageService>, id: &str, confirm_delete: bool) -> Answer {
    let current = find(state, ctx.id(), id).await?;
    Ok(ctx.show(ReplyToForm {
        id: Some(current.id),
        email_address: current.email_address,
        make_default: current.is_default,
        is_default: current.is_default,
        // The default cannot be deleted: asking shows the plain form.
        confirm_delete: confirm_delete && !current.is_default,
        ..ReplyToForm::default()
    }))
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: ServicePage<ManageService>,
    Path((_, id)): Path<(String, String)>,
) -> Answer {
    edit_page(&state, &ctx, &id, false).await
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    ctx: ServicePage<ManageService>,
    Path((_, id)): Path<(String, String)>,
) -> Answer {
    edit_page(&state, &ctx, &id, true).await
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: ServicePage<ManageService>,
    Path((_, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ReplyToFields>,
) -> Answer {
    let current = find(&state, ctx.id(), &id).await?;
    let make_default = !form.is_default.is_empty();
    let mut errors = FormErrors::default();
    let again = |errors| ReplyToForm {
        id: Some(current.id.clone()),
        email_address: form.email_address.clone(),
        make_default,
        is_default: current.is_default,
        errors,
        ..ReplyToForm::default()
    };
    let Some(address) = parse_address(&form.email_address, &mut errors) else { return Ok(ctx.show(again(errors))) };
    match store::update_reply_to(&state.pool, ctx.id(), &id, &address, make_default, &ctx.signed_in.user.id).await? {
        Ok(()) => Ok(found(&list_path(&ctx))),
        Err(ReplyToError::NotFound) => Err(PageError::NotFound),
        Err(ReplyToError::Duplicate) => {
            errors.push("email_address", duplicate_message(&address));
            Ok(ctx.show(again(errors)))
        }
    }
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Confirm {}

pub async fn delete(
    State(state): State<AppState>,
    ctx: ServicePage<ManageService>,
    Path((_, id)): Path<(String, String)>,
    CsrfForm(Confirm {}): CsrfForm<Confirm>,
) -> Answer {
    let current = find(&state, ctx.id(), &id).await?;
    if current.is_default {
        // Notify's rule: the default stays until another is made the default.
        return Err(ctx.bad_request());
    }
    store::delete_reply_to(&state.pool, ctx.id(), &id, &ctx.signed_in.user.id).await?;
    ctx.flash(&state, &format!("‘{}’ was deleted", current.email_address)).await?;
    Ok(found(&list_path(&ctx)))
}
