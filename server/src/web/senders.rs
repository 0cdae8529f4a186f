//! A service's senders: reply-to email addresses
//! (`/service-settings/email-reply-to`), text message sender IDs
//! (`/service-settings/sms-sender`) and letter contact blocks
//! (`/service-settings/letter-contacts`). The list for `manage_service` or
//! `manage_api_keys`; adding, changing, making the default and deleting for
//! `manage_service`; Notify's URLs and words. A new reply-to address is
//! checked first, as Notify checks it (`app::ssr::reply_to`): adding or
//! changing one sends it an email and shows the check's page, which saves
//! the address once the email is delivered.

use super::error::{found, PageError};
use super::extract::{CsrfForm, ManageService, ReadSettings, ServicePage};
use crate::AppState;
use app::domain::senders::SenderKind;
use app::domain::Permission;
use app::pages::senders::{ReplyToCheck, SenderForm, SenderList, SenderRow};
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
    if kind == SenderKind::EmailReplyTo {
        // The first is the default whatever was asked.
        return match app::ssr::reply_to::start(&state.pool, ctx.id(), &value, make_default || first, None).await? {
            Ok(check_id) => Ok(found(&check_path(ctx, &check_id))),
            Err(SenderError::Duplicate | SenderError::NotFound) => {
                errors.push(kind.field(), kind.duplicate_message(&value));
                Ok(ctx.show(again(errors)))
            }
        };
    }
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
    if kind == SenderKind::EmailReplyTo && !value.eq_ignore_ascii_case(&current.value) {
        // A new address is checked first; only the default changes at once.
        let default = make_default || current.is_default;
        return match app::ssr::reply_to::start(&state.pool, ctx.id(), &value, default, Some(id)).await? {
            Ok(check_id) => Ok(found(&check_path(ctx, &check_id))),
            Err(SenderError::NotFound) => Err(PageError::NotFound),
            Err(SenderError::Duplicate) => {
                errors.push(kind.field(), kind.duplicate_message(&value));
                Ok(ctx.show(again(errors)))
            }
        };
    }
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

fn check_path(ctx: &Manage, check_id: &str) -> String {
    ctx.path(&format!("/service-settings/email-reply-to/check/{check_id}"))
}

/// How long the check's page waits for the check's email before showing it
/// as still on its way (an email to the built-in outbox, or one a relay
/// takes at once, is then shown checked straight away).
const CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// `/services/{id}/service-settings/email-reply-to/check/{check_id}`: the
/// check of a new reply-to address (`manage_service`; another service's
/// check answers 404). Delivered: saved, and said so; failed: the form
/// again, to try again; otherwise: still checking, with a Refresh link.
pub async fn reply_to_check(State(state): State<AppState>, ctx: Manage, Path((_, check_id)): IdPath) -> Answer {
    use app::ssr::reply_to::{check, CheckState};
    let user = ctx.signed_in.user.id.clone();
    let started = std::time::Instant::now();
    let found_check = loop {
        let c = check(&state.pool, ctx.id(), &check_id, &user).await?.ok_or(PageError::NotFound)?;
        if c.state != CheckState::Pending || started.elapsed() >= CHECK_WAIT {
            break c;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let kind = SenderKind::EmailReplyTo;
    let base = ctx.path("/service-settings/email-reply-to");
    let back = match &found_check.replace {
        Some(id) => format!("{base}/{id}/edit"),
        None => format!("{base}/add"),
    };
    match found_check.state {
        CheckState::Failed => {
            let existing = store::senders(&state.pool, ctx.id(), kind).await?;
            let replaced_default =
                found_check.replace.as_deref().is_some_and(|id| existing.iter().any(|s| s.id == id && s.is_default));
            Ok(ctx.show(SenderForm {
                id: found_check.replace.clone(),
                value: found_check.address,
                make_default: found_check.is_default,
                is_default: replaced_default,
                first: existing.is_empty(),
                check_failed: true,
                action: Some(back),
                ..SenderForm::new(kind)
            }))
        }
        state => Ok(ctx.show(ReplyToCheck {
            address: found_check.address,
            added: state == CheckState::Added,
            back,
            refresh: check_path(&ctx, &check_id),
        })),
    }
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
