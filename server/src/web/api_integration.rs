//! The API integration pages: hub, API keys (list, create, revoke), guest
//! list and callbacks. Every handler checks the session, membership of the
//! service in the URL (404) and `manage_api_keys` (403); every POST checks
//! the CSRF token. Forms answer 302 on success and re-render with a GOV.UK
//! error summary and the user's input on failure.

use super::error::{not_found, AppError};
use super::found;
use super::guard::{open_service_page, ServicePage};
use super::render::render;
use crate::AppState;
use app::domain::api_key::{self, name_fingerprint, KeyName, KeyNameError, KeyType};
use app::domain::callback::{BearerToken, CallbackUrl, TOKEN_PLACEHOLDER};
use app::domain::london_time::datetime_short;
use app::domain::{GuestList, Permission, ServicePermission};
use app::ssr::{clock, store};
use app::view_model::{
    ApiKeys, CallbackForm, CallbackKind, CallbackRow, Content, CreateKeyForm, Flash, FormErrors, GuestListForm, KeyRow,
    NavItem,
};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

type Ctx = ServicePage;

async fn open(state: &AppState, service_id: &str, req: Request) -> Result<Ctx, Response> {
    open_service_page(state, service_id, req, &[Permission::ManageApiKeys], NavItem::ApiIntegration).await
}

macro_rules! open_or_return {
    ($state:expr, $service_id:expr, $req:expr) => {
        match open(&$state, &$service_id, $req).await {
            Ok(ctx) => ctx,
            Err(response) => return Ok(response),
        }
    };
}

async fn show(state: &AppState, mut ctx: Ctx, content: Content, with_flash: bool) -> Result<Response, AppError> {
    if with_flash {
        ctx.page.flash = store::take_flash(&state.pool, &ctx.signed_in.digest).await?.map(|message| Flash { message });
    }
    ctx.page.content = content;
    Ok(render(state, &ctx.parts, ctx.page, StatusCode::OK).await)
}

fn multiple_callbacks(ctx: &Ctx) -> bool {
    let s = ctx.page.service.as_ref().expect("checked by open");
    s.service_can(ServicePermission::InboundSms) || s.service_can(ServicePermission::Letter)
}

fn callbacks_href(ctx: &Ctx) -> String {
    let s = ctx.page.service.as_ref().expect("checked by open");
    if multiple_callbacks(ctx) {
        s.path("/api/callbacks")
    } else {
        s.path("/api/callbacks/delivery-status-callback")
    }
}

// ---------------------------------------------------------------- hub

pub async fn hub(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let ctx = open_or_return!(state, service_id, req);
    let callbacks_href = callbacks_href(&ctx);
    let log = super::notifications::message_log(&state, &ctx.page, &service_id).await?;
    show(&state, ctx, Content::ApiHub { callbacks_href, log }, true).await
}

// ---------------------------------------------------------------- keys

async fn key_rows(state: &AppState, service_id: &str) -> Result<Vec<KeyRow>, AppError> {
    let since = app::ssr::keys::revoked_window_start();
    let when = |s: &str| clock::parse(s).map(datetime_short).unwrap_or_default();
    Ok(store::list_api_keys(&state.pool, service_id, &since)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            description: KeyType::parse(&k.key_type).map(KeyType::description).unwrap_or(""),
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

pub async fn keys(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let ctx = open_or_return!(state, service_id, req);
    let keys = key_rows(&state, &service_id).await?;
    show(&state, ctx, Content::ApiKeys(ApiKeys { keys, confirm_revoke: None }), true).await
}

pub async fn create_key_form(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let ctx = open_or_return!(state, service_id, req);
    show(&state, ctx, Content::CreateKey(CreateKeyForm::default()), false).await
}

pub async fn create_key(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let ctx = open_or_return!(state, service_id, req);
    let raw_name = ctx.form.get("key_name").to_string();
    let raw_type = ctx.form.get("key_type").to_string();
    let key_type = KeyType::parse(&raw_type);
    let restricted = ctx.page.service.as_ref().expect("checked").service.restricted;
    if key_type.is_some_and(|t| !api_key::type_allowed(restricted, t)) {
        // The form never offers this; only a hand-made request gets here.
        let mut page = ctx.page;
        page.content = Content::BadRequest;
        return Ok(render(&state, &ctx.parts, page, StatusCode::BAD_REQUEST).await);
    }
    let mut errors = FormErrors::default();
    let name = match KeyName::parse(&raw_name) {
        Ok(name) if store::api_key_name_taken(&state.pool, &service_id, &name_fingerprint(name.as_str())).await? => {
            errors.push("key_name", "A key with this name already exists");
            None
        }
        Ok(name) => Some(name),
        Err(e @ (KeyNameError::Empty | KeyNameError::TooLong)) => {
            errors.push("key_name", e.to_string());
            None
        }
    };
    if key_type.is_none() {
        errors.push("key_type", "Select a type of API key");
    }
    let (Some(name), Some(key_type), true) = (name, key_type, errors.is_empty()) else {
        let form = CreateKeyForm { key_name: raw_name, key_type: raw_type, errors };
        return show(&state, ctx, Content::CreateKey(form), false).await;
    };
    let created =
        app::ssr::keys::create(&state.pool, &state.secrets, &service_id, &name, key_type, Some(&ctx.signed_in.user.id))
            .await?;
    let Ok(key) = created else {
        let mut errors = FormErrors::default();
        errors.push("key_name", "A key with this name already exists");
        let form = CreateKeyForm { key_name: raw_name, key_type: raw_type, errors };
        return show(&state, ctx, Content::CreateKey(form), false).await;
    };
    tracing::info!(service_id = %service_id, key_type = key_type.as_str(), "API key created");
    show(&state, ctx, Content::NewKey { name: name.as_str().to_string(), key }, false).await
}

/// The service's key with this id; `None` (so 404) for any other id.
async fn find_key(state: &AppState, service_id: &str, key_id: &str) -> Result<Option<store::ApiKey>, AppError> {
    if uuid::Uuid::parse_str(key_id).is_err() {
        return Ok(None);
    }
    Ok(store::get_api_key(&state.pool, service_id, key_id).await?)
}

pub async fn revoke_confirm(
    State(state): State<AppState>,
    Path((service_id, key_id)): Path<(String, String)>,
    req: Request,
) -> Result<Response, AppError> {
    let ctx = open_or_return!(state, service_id, req);
    let key = find_key(&state, &service_id, &key_id).await?;
    let Some(key) = key else { return Ok(not_found(&state, &ctx.parts).await) };
    if key.expiry_date.is_some() {
        return Ok(found(&format!("/services/{service_id}/api/keys")));
    }
    let keys = key_rows(&state, &service_id).await?;
    show(&state, ctx, Content::ApiKeys(ApiKeys { keys, confirm_revoke: Some((key.id, key.name)) }), false).await
}

pub async fn revoke(
    State(state): State<AppState>,
    Path((service_id, key_id)): Path<(String, String)>,
    req: Request,
) -> Result<Response, AppError> {
    let ctx = open_or_return!(state, service_id, req);
    let key = find_key(&state, &service_id, &key_id).await?;
    let Some(key) = key else { return Ok(not_found(&state, &ctx.parts).await) };
    if store::revoke_api_key(&state.pool, &service_id, &key.id, Some(&ctx.signed_in.user.id)).await? {
        tracing::info!(service_id = %service_id, key_id = %key.id, "API key revoked");
        store::set_flash(&state.pool, &ctx.signed_in.digest, &format!("‘{}’ was revoked", key.name)).await?;
    }
    Ok(found(&format!("/services/{service_id}/api/keys")))
}

// ---------------------------------------------------------------- guest list

pub async fn guest_list_form(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let ctx = open_or_return!(state, service_id, req);
    let stored = store::guest_list(&state.pool, &service_id).await?;
    let form = GuestListForm {
        email_addresses: stored.email_addresses.join("\n"),
        phone_numbers: stored.phone_numbers.join("\n"),
        errors: FormErrors::default(),
    };
    show(&state, ctx, Content::GuestList(form), false).await
}

pub async fn save_guest_list(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let ctx = open_or_return!(state, service_id, req);
    let emails = ctx.form.get("email_addresses").to_string();
    let phones = ctx.form.get("phone_numbers").to_string();
    match GuestList::parse(&emails, &phones) {
        Ok(list) => {
            let emails: Vec<String> = list.email_addresses.iter().map(|e| e.as_str().to_string()).collect();
            let phones: Vec<String> = list.phone_numbers.iter().map(|p| p.as_str().to_string()).collect();
            store::replace_guest_list(&state.pool, &service_id, &emails, &phones).await?;
            store::set_flash(&state.pool, &ctx.signed_in.digest, "Guest list updated").await?;
            Ok(found(&format!("/services/{service_id}/api")))
        }
        Err(problems) => {
            let mut errors = FormErrors::default();
            for p in problems {
                errors.push(p.field, p.message);
            }
            let form = GuestListForm { email_addresses: emails, phone_numbers: phones, errors };
            show(&state, ctx, Content::GuestList(form), false).await
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
    let s = ctx.page.service.as_ref().expect("checked");
    match kind {
        CallbackKind::DeliveryStatus => true,
        CallbackKind::ReceivedTextMessages => s.service_can(ServicePermission::InboundSms),
        CallbackKind::ReturnedLetters => s.service_can(ServicePermission::Letter),
    }
}

pub async fn callbacks(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let ctx = open_or_return!(state, service_id, req);
    if !multiple_callbacks(&ctx) {
        return Ok(found(&callbacks_href(&ctx)));
    }
    let saved = store::callbacks(&state.pool, &service_id).await?;
    let rows = CallbackKind::ALL
        .into_iter()
        .filter(|k| kind_available(&ctx, *k))
        .map(|kind| CallbackRow {
            kind,
            url: saved.iter().find(|c| c.callback_type == kind.db_type()).map(|c| c.url.clone()),
        })
        .collect();
    show(&state, ctx, Content::Callbacks(rows), true).await
}

fn back_href(ctx: &Ctx) -> String {
    let s = ctx.page.service.as_ref().expect("checked");
    if multiple_callbacks(ctx) {
        s.path("/api/callbacks")
    } else {
        s.path("/api")
    }
}

pub async fn callback_form(
    State(state): State<AppState>,
    Path((service_id, slug)): Path<(String, String)>,
    req: Request,
) -> Result<Response, AppError> {
    let ctx = open_or_return!(state, service_id, req);
    let Some(kind) = CallbackKind::from_slug(&slug) else { return Ok(not_found(&state, &ctx.parts).await) };
    if !kind_available(&ctx, kind) {
        return Ok(found(&format!("/services/{service_id}/api")));
    }
    let saved =
        store::callbacks(&state.pool, &service_id).await?.into_iter().find(|c| c.callback_type == kind.db_type());
    let form = CallbackForm {
        kind,
        url: saved.as_ref().map(|c| c.url.clone()).unwrap_or_default(),
        token_saved: saved.is_some(),
        errors: FormErrors::default(),
        back_href: back_href(&ctx),
    };
    show(&state, ctx, Content::CallbackForm(form), false).await
}

pub async fn save_callback(
    State(state): State<AppState>,
    Path((service_id, slug)): Path<(String, String)>,
    req: Request,
) -> Result<Response, AppError> {
    let ctx = open_or_return!(state, service_id, req);
    let Some(kind) = CallbackKind::from_slug(&slug) else { return Ok(not_found(&state, &ctx.parts).await) };
    if !kind_available(&ctx, kind) {
        return Ok(found(&format!("/services/{service_id}/api")));
    }
    let saved =
        store::callbacks(&state.pool, &service_id).await?.into_iter().find(|c| c.callback_type == kind.db_type());
    let raw_url = ctx.form.get("url").trim().to_string();
    let raw_token = ctx.form.get("bearer_token").to_string();
    let done = back_href(&ctx);
    if raw_url.is_empty() {
        // Clearing the URL stops the callbacks.
        if saved.is_some() {
            store::delete_callback(&state.pool, &service_id, kind.db_type()).await?;
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
        return show(&state, ctx, Content::CallbackForm(form), false).await;
    };
    let unchanged = keep_old && saved.as_ref().is_some_and(|c| c.url == url.as_str());
    if !unchanged {
        store::save_callback(
            &state.pool,
            &service_id,
            kind.db_type(),
            url.as_str(),
            &token_ciphertext,
            &ctx.signed_in.user.id,
        )
        .await?;
    }
    Ok(found(&done))
}
