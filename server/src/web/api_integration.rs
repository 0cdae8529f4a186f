//! The API integration pages: hub, API keys (list, create, revoke), guest
//! list and callbacks, for members with `manage_api_keys` (the
//! [`ServicePage`] extractor checks the session, the service and the
//! permission; [`CsrfForm`] the CSRF token of every POST). Forms answer 302
//! on success and re-render with a GOV.UK error summary and the user's input
//! on failure.

use super::error::{found, PageError};
use super::extract::{CsrfForm, ManageApiKeys, ServicePage};
use crate::AppState;
use app::domain::api_key::{name_fingerprint, KeyName, KeyType};
use app::domain::callback::{BearerToken, CallbackUrl, TOKEN_PLACEHOLDER};
use app::domain::london_time::datetime_short;
use app::domain::CallbackKind;
use app::domain::{GuestList, ServicePermission};
use app::pages::api_hub::ApiHub;
use app::pages::api_keys::{ApiKeys, CreateKeyForm, KeyRow, ShownKey};
use app::pages::callbacks::{CallbackForm, CallbackList, CallbackRow};
use app::pages::guest_list::GuestListForm;
use app::ssr::keys::NotCreated;
use app::ssr::{clock, store};
use app::view_model::FormErrors;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

type Ctx = ServicePage<ManageApiKeys>;
type Answer = Result<Response, PageError>;

fn multiple_callbacks(ctx: &Ctx) -> bool {
    ctx.service.service_can(ServicePermission::InboundSms) || ctx.service.service_can(ServicePermission::Letter)
}

fn callbacks_href(ctx: &Ctx) -> String {
    if multiple_callbacks(ctx) {
        ctx.path("/api/callbacks")
    } else {
        ctx.path("/api/callbacks/delivery-status-callback")
    }
}

// ---------------------------------------------------------------- hub

pub async fn hub(State(state): State<AppState>, ctx: Ctx) -> Answer {
    let callbacks_href = callbacks_href(&ctx);
    let log = super::notifications::message_log(&state, &ctx.service).await?;
    ctx.show_with_flash(&state, ApiHub { callbacks_href, log }).await
}

// ---------------------------------------------------------------- keys

async fn key_rows(state: &AppState, service_id: &str) -> Result<Vec<KeyRow>, PageError> {
    let since = app::ssr::keys::revoked_window_start();
    let when = |s: &str| clock::parse(s).map(datetime_short).unwrap_or_default();
    Ok(store::list_api_keys(&state.pool, service_id, &since)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            description: k.key_type.description(),
            revoked: k.expiry_date.as_deref().map(|d| format!("Revoked {}", when(d))),
            last_used: match k.last_used_at.as_deref() {
                Some(d) => format!("Last used {}", when(d)),
                None => "Never used".to_string(),
            },
            id: k.id,
            name: k.name,
        })
        .collect())
}

pub async fn keys(State(state): State<AppState>, ctx: Ctx) -> Answer {
    let keys = key_rows(&state, ctx.id()).await?;
    ctx.show_with_flash(&state, ApiKeys { keys, confirm_revoke: None }).await
}

pub async fn create_key_form(ctx: Ctx) -> Response {
    ctx.show(CreateKeyForm::default())
}

#[derive(Deserialize)]
pub struct CreateKey {
    #[serde(default)]
    key_name: String,
    #[serde(default)]
    key_type: String,
}

pub async fn create_key(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm<CreateKey>) -> Answer {
    let service_id = ctx.id().to_string();
    let CreateKey { key_name: raw_name, key_type: raw_type } = form;
    let key_type = KeyType::parse(&raw_type);
    let mut errors = FormErrors::default();
    let name = match KeyName::parse(&raw_name) {
        Ok(name) if store::api_key_name_taken(&state.pool, &service_id, &name_fingerprint(name.as_str())).await? => {
            errors.push("key_name", "A key with this name already exists");
            None
        }
        Ok(name) => Some(name),
        Err(e) => {
            errors.push("key_name", KeyName::message(e));
            None
        }
    };
    if key_type.is_none() {
        errors.push("key_type", "Select a type of API key");
    }
    let (Some(name), Some(key_type), true) = (name, key_type, errors.is_empty()) else {
        let form = CreateKeyForm { key_name: raw_name, key_type: raw_type, errors };
        return Ok(ctx.show(form));
    };
    let created =
        app::ssr::keys::create(&state.pool, &state.secrets, &service_id, &name, key_type, Some(&ctx.signed_in.user.id))
            .await?;
    let created = match created {
        Ok(created) => created,
        // The form never offers a live key in trial mode: only a hand-made
        // request gets here.
        Err(NotCreated::LiveKeyInTrialMode | NotCreated::NoSuchService) => return Err(ctx.bad_request()),
        Err(NotCreated::DuplicateName) => {
            let mut errors = FormErrors::default();
            errors.push("key_name", "A key with this name already exists");
            let form = CreateKeyForm { key_name: raw_name, key_type: raw_type, errors };
            return Ok(ctx.show(form));
        }
    };
    tracing::info!(service_id = %service_id, key_type = key_type.as_str(), "API key created");
    Ok(ctx.show(ShownKey { name: name.as_str().to_string(), key: created.key }))
}

/// The service's key with this id; 404 for any other id.
async fn find_key(state: &AppState, service_id: &str, key_id: &str) -> Result<store::ApiKey, PageError> {
    if uuid::Uuid::parse_str(key_id).is_err() {
        return Err(PageError::NotFound);
    }
    store::get_api_key(&state.pool, service_id, key_id).await?.ok_or(PageError::NotFound)
}

pub async fn revoke_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, key_id)): Path<(String, String)>,
) -> Answer {
    let key = find_key(&state, ctx.id(), &key_id).await?;
    if key.expiry_date.is_some() {
        return Ok(found(&ctx.path("/api/keys")));
    }
    let keys = key_rows(&state, ctx.id()).await?;
    Ok(ctx.show(ApiKeys { keys, confirm_revoke: Some((key.id, key.name)) }))
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Confirm {}

pub async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, key_id)): Path<(String, String)>,
    CsrfForm(Confirm {}): CsrfForm<Confirm>,
) -> Answer {
    let key = find_key(&state, ctx.id(), &key_id).await?;
    if store::revoke_api_key(&state.pool, ctx.id(), &key.id, Some(&ctx.signed_in.user.id)).await? {
        tracing::info!(service_id = %ctx.id(), key_id = %key.id, "API key revoked");
        ctx.flash(&state, &format!("‘{}’ was revoked", key.name)).await?;
    }
    Ok(found(&ctx.path("/api/keys")))
}

// ---------------------------------------------------------------- guest list

pub async fn guest_list_form(State(state): State<AppState>, ctx: Ctx) -> Answer {
    let stored = store::guest_list(&state.pool, ctx.id()).await?;
    let form = GuestListForm {
        email_addresses: stored.email_addresses.join("\n"),
        phone_numbers: stored.phone_numbers.join("\n"),
        errors: FormErrors::default(),
    };
    Ok(ctx.show(form))
}

#[derive(Deserialize)]
pub struct SaveGuestList {
    #[serde(default)]
    email_addresses: String,
    #[serde(default)]
    phone_numbers: String,
}

pub async fn save_guest_list(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<SaveGuestList>,
) -> Answer {
    let SaveGuestList { email_addresses: emails, phone_numbers: phones } = form;
    match GuestList::parse(&emails, &phones) {
        Ok(list) => {
            let emails: Vec<String> = list.email_addresses.iter().map(|e| e.as_str().to_string()).collect();
            let phones: Vec<String> = list.phone_numbers.iter().map(|p| p.as_str().to_string()).collect();
            store::replace_guest_list(&state.pool, ctx.id(), &emails, &phones).await?;
            ctx.flash(&state, "Guest list updated").await?;
            Ok(found(&ctx.path("/api")))
        }
        Err(problems) => {
            let mut errors = FormErrors::default();
            for p in problems {
                errors.push(p.field, p.message);
            }
            let form = GuestListForm { email_addresses: emails, phone_numbers: phones, errors };
            Ok(ctx.show(form))
        }
    }
}

pub async fn old_guest_list(Path(service_id): Path<String>) -> Response {
    let location = format!("/services/{service_id}/api/guest-list");
    (
        StatusCode::MOVED_PERMANENTLY,
        [(axum::http::header::LOCATION, HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/")))],
    )
        .into_response()
}

// ---------------------------------------------------------------- callbacks

fn kind_available(ctx: &Ctx, kind: CallbackKind) -> bool {
    match kind {
        CallbackKind::DeliveryStatus => true,
        CallbackKind::ReceivedTextMessages => ctx.service.service_can(ServicePermission::InboundSms),
        CallbackKind::ReturnedLetters => ctx.service.service_can(ServicePermission::Letter),
    }
}

pub async fn callbacks(State(state): State<AppState>, ctx: Ctx) -> Answer {
    if !multiple_callbacks(&ctx) {
        return Ok(found(&callbacks_href(&ctx)));
    }
    let saved = store::callbacks(&state.pool, ctx.id()).await?;
    let rows = CallbackKind::ALL
        .iter()
        .copied()
        .filter(|k| kind_available(&ctx, *k))
        .map(|kind| CallbackRow { kind, url: saved.iter().find(|c| c.callback_type == kind).map(|c| c.url.clone()) })
        .collect();
    ctx.show_with_flash(&state, CallbackList { rows }).await
}

fn back_href(ctx: &Ctx) -> String {
    if multiple_callbacks(ctx) {
        ctx.path("/api/callbacks")
    } else {
        ctx.path("/api")
    }
}

/// The callback kind named by the URL, if this service can have it: 404 for
/// an unknown name, otherwise `Err` is the 302 back to the hub.
fn callback_kind(ctx: &Ctx, slug: &str) -> Result<Result<CallbackKind, Response>, PageError> {
    let kind = CallbackKind::from_slug(slug).ok_or(PageError::NotFound)?;
    Ok(if kind_available(ctx, kind) { Ok(kind) } else { Err(found(&ctx.path("/api"))) })
}

pub async fn callback_form(State(state): State<AppState>, ctx: Ctx, Path((_, slug)): Path<(String, String)>) -> Answer {
    let kind = match callback_kind(&ctx, &slug)? {
        Ok(kind) => kind,
        Err(back) => return Ok(back),
    };
    let saved = store::callback(&state.pool, ctx.id(), kind).await?;
    let form = CallbackForm {
        kind,
        url: saved.as_ref().map(|c| c.url.clone()).unwrap_or_default(),
        token_saved: saved.is_some(),
        errors: FormErrors::default(),
        back_href: back_href(&ctx),
    };
    Ok(ctx.show(form))
}

#[derive(Deserialize)]
pub struct SaveCallback {
    #[serde(default)]
    url: String,
    #[serde(default)]
    bearer_token: String,
}

pub async fn save_callback(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, slug)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<SaveCallback>,
) -> Answer {
    let kind = match callback_kind(&ctx, &slug)? {
        Ok(kind) => kind,
        Err(back) => return Ok(back),
    };
    let service_id = ctx.id();
    let saved = store::callback(&state.pool, service_id, kind).await?;
    let raw_url = form.url.trim().to_string();
    let raw_token = form.bearer_token;
    let done = back_href(&ctx);
    if raw_url.is_empty() {
        // Clearing the URL stops the callbacks.
        if saved.is_some() {
            store::delete_callback(&state.pool, service_id, kind).await?;
        }
        return Ok(found(&done));
    }
    let mut errors = FormErrors::default();
    let url = CallbackUrl::parse(&raw_url, state.config.allow_private_callback_urls)
        .map_err(|e| errors.push("url", e.to_string()))
        .ok();
    let keep_old = raw_token == TOKEN_PLACEHOLDER && saved.is_some();
    let token_ciphertext = if keep_old {
        saved.as_ref().map(|c| c.bearer_token_ciphertext.clone())
    } else {
        BearerToken::parse(&raw_token)
            .map(|t| state.secrets.encrypt(t.expose()))
            .map_err(|e| errors.push("bearer_token", e.to_string()))
            .ok()
    };
    let (Some(url), Some(token_ciphertext)) = (url, token_ciphertext) else {
        let form = CallbackForm { kind, url: raw_url, token_saved: saved.is_some(), errors, back_href: done };
        return Ok(ctx.show(form));
    };
    let unchanged = keep_old && saved.as_ref().is_some_and(|c| c.url == url.as_str());
    if !unchanged {
        store::save_callback(&state.pool, service_id, kind, url.as_str(), &token_ciphertext, &ctx.signed_in.user.id)
            .await?;
    }
    Ok(found(&done))
}
