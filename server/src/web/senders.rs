//! A service's senders: reply-to email addresses
//! (`/service-settings/email-reply-to`), text message sender IDs
//! (`/service-settings/sms-sender`) and letter contact blocks
//! (`/service-settings/letter-contacts`). The list for `manage_service` or
//! `manage_api_keys`; adding, changing, making the default and deleting for
//! `manage_service`; Notify's URLs and words. Notify first sends a
//! verification email to a new reply-to address; with no email provider
//! yet, addresses are taken as typed (README).

use super::error::{found, PageError};
use super::extract::{CsrfForm, ManageService, ReadSettings, ServicePage};
use crate::AppState;
use app::domain::senders::SenderKind;
use app::domain::Permission;
use app::pages::senders::{SenderForm, SenderList, SenderRow};
use app::ssr::store::{self, SenderError};
use app::view_model::FormErrors;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

type Answer = Result<Response, PageError>;
type Manage = ServicePage<ManageService>;

fn list_path(ctx: &Manage, kind: SenderKind) -> String {
    ctx.path(&format!("/service-settings/{}", kind.list_slug()))
}

async fn list(state: &AppState, ctx: &ServicePage<ReadSettings>, kind: SenderKind) -> Answer {
    let items = store::senders(&state.pool, ctx.id(), kind)
        .await?
        .into_iter()
        .map(|r| SenderRow { id: r.id, value: r.value, is_default: r.is_default })
        .collect();
    let can_manage = ctx.service.can(Permission::ManageService);
    ctx.show_with_flash(state, SenderList { kind, items, can_manage }).await
}

/// The service's sender of `kind` with this id, or 404.
async fn find(state: &AppState, service_id: &str, kind: SenderKind, id: &str) -> Result<store::Sender, PageError> {
    store::senders(&state.pool, service_id, kind).await?.into_iter().find(|r| r.id == id).ok_or(PageError::NotFound)
}

async fn add_form(state: &AppState, ctx: &Manage, kind: SenderKind) -> Answer {
    let first = store::senders(&state.pool, ctx.id(), kind).await?.is_empty();
    Ok(ctx.show(SenderForm { first, ..SenderForm::new(kind) }))
}

/// The forms. fields
#[derive(Deserialize)]
pub struct SenderFields {
    #[serde(default, alias = "email_address", alias = "sms_sender", alias = "letter_contact_block")]
    value: String,
    #[serde(default)]
    is_default: String,
}

async fn add(state: &AppState, ctx: &Manage, kind: SenderKind, form: SenderFields) -> Answer {
    let first = store::senders(&state.pool, ctx.id(), kind).await?.is_empty();
    let make_default = !form.is_default.is_empty();
    let again = |errors| SenderForm { value: form.value.clone(), make_default, first, errors, ..SenderForm::new(kind) };
    let mut errors = FormErrors::default();
    let value = match kind.parse(&form.value) {
        Ok(v) => v,
        Err(message) => {
            errors.push(kind.field(), message);
            return Ok(ctx.show(again(errors)));
        }
    };
    match store::add_sender(&state.pool, ctx.id(), kind, &value, make_default, &ctx.signed_in.user.id).await? {
        Ok(_) => Ok(found(&list_path(ctx, kind))),
        Err(SenderError::Duplicate | SenderError::NotFound) => {
            errors.push(kind.field(), kind.duplicate_message(&value));
            Ok(ctx.show(again(errors)))
        }
    }
}

async fn edit_page(state: &AppState, ctx: &Manage, kind: SenderKind, id: &str, confirm_delete: bool) -> Answer {
    let current = find(state, ctx.id(), kind, id).await?;
    Ok(ctx.show(SenderForm {
        id: Some(current.id),
        value: current.value,
        make_default: current.is_default,
        is_default: current.is_default,
        // A default that must stay cannot be deleted: asking shows the plain form.
        confirm_delete: confirm_delete && (!current.is_default || kind.default_is_optional()),
        ..SenderForm::new(kind)
    }))
}

async fn edit(state: &AppState, ctx: &Manage, kind: SenderKind, id: &str, form: SenderFields) -> Answer {
    let current = find(state, ctx.id(), kind, id).await?;
    let make_default = !form.is_default.is_empty();
    let again = |errors| SenderForm {
        id: Some(current.id.clone()),
        value: form.value.clone(),
        make_default,
        is_default: current.is_default,
        errors,
        ..SenderForm::new(kind)
    };
    let mut errors = FormErrors::default();
    let value = match kind.parse(&form.value) {
        Ok(v) => v,
        Err(message) => {
            errors.push(kind.field(), message);
            return Ok(ctx.show(again(errors)));
        }
    };
    let user = &ctx.signed_in.user.id;
    match store::update_sender(&state.pool, ctx.id(), kind, id, &value, make_default, user).await? {
        Ok(()) => Ok(found(&list_path(ctx, kind))),
        Err(SenderError::NotFound) => Err(PageError::NotFound),
        Err(SenderError::Duplicate) => {
            errors.push(kind.field(), kind.duplicate_message(&value));
            Ok(ctx.show(again(errors)))
        }
    }
}

async fn delete(state: &AppState, ctx: &Manage, kind: SenderKind, id: &str) -> Answer {
    let current = find(state, ctx.id(), kind, id).await?;
    if current.is_default && !kind.default_is_optional() {
        // Notify's rule: the default stays until another is made the default.
        return Err(ctx.bad_request());
    }
    store::delete_sender(&state.pool, ctx.id(), kind, id, &ctx.signed_in.user.id).await?;
    ctx.flash(state, &format!("‘{}’ was deleted", current.value)).await?;
    Ok(found(&list_path(ctx, kind)))
}

/// "Blank" as the default sender address. Notify answers a GET link; here
/// it is a form POST, so it needs the CSRF token like every change.
async fn make_blank_default(state: &AppState, ctx: &Manage, kind: SenderKind) -> Answer {
    if !kind.default_is_optional() {
        return Err(PageError::NotFound);
    }
    store::clear_default_sender(&state.pool, ctx.id(), kind, &ctx.signed_in.user.id).await?;
    Ok(found(&list_path(ctx, kind)))
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Confirm {}

type IdPath = Path<(String, String)>;

/// The handlers of one kind, at its URLs.
macro_rules! sender_handlers {
    ($module:ident, $kind:expr) => {
        pub mod $module {
            use super::*;

            pub async fn list(State(state): State<AppState>, ctx: ServicePage<ReadSettings>) -> Answer {
                super::list(&state, &ctx, $kind).await
            }
            pub async fn add_form(State(state): State<AppState>, ctx: Manage) -> Answer {
                super::add_form(&state, &ctx, $kind).await
            }
            pub async fn add(
                State(state): State<AppState>,
                ctx: Manage,
                CsrfForm(form): CsrfForm<SenderFields>,
            ) -> Answer {
                super::add(&state, &ctx, $kind, form).await
            }
            pub async fn edit_form(State(state): State<AppState>, ctx: Manage, Path((_, id)): IdPath) -> Answer {
                super::edit_page(&state, &ctx, $kind, &id, false).await
            }
            pub async fn edit(
                State(state): State<AppState>,
                ctx: Manage,
                Path((_, id)): IdPath,
                CsrfForm(form): CsrfForm<SenderFields>,
            ) -> Answer {
                super::edit(&state, &ctx, $kind, &id, form).await
            }
            pub async fn confirm_delete(State(state): State<AppState>, ctx: Manage, Path((_, id)): IdPath) -> Answer {
                super::edit_page(&state, &ctx, $kind, &id, true).await
            }
            pub async fn delete(
                State(state): State<AppState>,
                ctx: Manage,
                Path((_, id)): IdPath,
                CsrfForm(Confirm {}): CsrfForm<Confirm>,
            ) -> Answer {
                super::delete(&state, &ctx, $kind, &id).await
            }
            #[allow(dead_code)]
            pub async fn make_blank_default(
                State(state): State<AppState>,
                ctx: Manage,
                CsrfForm(Confirm {}): CsrfForm<Confirm>,
            ) -> Answer {
                super::make_blank_default(&state, &ctx, $kind).await
            }
        }
    };
}

sender_handlers!(reply_to, SenderKind::EmailReplyTo);
sender_handlers!(sms, SenderKind::SmsSender);
sender_handlers!(letter_contact, SenderKind::LetterContact);
