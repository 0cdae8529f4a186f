//! The API integration pages: hub, API keys (list, create, revoke), guest
//! list and callbacks, for members with `manage_api_keys` (the
//! [`ServicePage`] extractor checks the session, the service and the
//! permission; [`CsrfForm`] the CSRF token of every POST). Forms answer 302
//! on success and re-render with a GOV.UK error summary and the user's input
//! on failure.

use super::error::{found, PageError};
use super::extract::{CsrfForm, ManageApiKeys, ServicePage};
use crate::AppState;
use app::domain::api_key::{expiry_text, name_fingerprint, KeyLifetime, KeyName, KeyType};
use app::domain::london_time::datetime_short;
use app::domain::Timestamp;
use app::pages::api_hub::ApiHub;
use app::pages::api_keys::{ApiKeys, CreateKeyForm, KeyRow, RotateKeyForm, ShownKey};
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

use super::callbacks::callbacks_href;

// ---------------------------------------------------------------- hub

pub async fn hub(State(state): State<AppState>, ctx: Ctx) -> Answer {
    let callbacks_href = callbacks_href(&ctx);
    let log = super::notifications::message_log(&state, &ctx.service).await?;
    let expiring_keys = keys_expiring_soon(&state, ctx.id()).await?;
    let week_ago = clock::now() - time::Duration::days(7);
    let leaks = store::leak_reports_since(&state.pool, ctx.id(), week_ago).await?;
    let alerts = open_alert_rows(&state, ctx.id()).await?;
    let departures = super::team::departure_views(&state, ctx.id()).await?;
    ctx.show_with_flash(&state, ApiHub { callbacks_href, log, expiring_keys, leaks, alerts, departures }).await
}

// ---------------------------------------------------------------- keys

async fn key_rows(state: &AppState, service_id: &str) -> Result<Vec<KeyRow>, PageError> {
    let since = app::ssr::keys::revoked_window_start();
    let when = |t: Timestamp| datetime_short(t.time());
    Ok(store::list_api_keys(&state.pool, service_id, since)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            description: k.key_type.description(),
            expiry: expiry_of(&k),
            rotated: k.rotated_to.is_some(),
            revoked: match k.expiry_date {
                Some(d) => Some(format!("Revoked {}", when(d))),
                None if expiry_of(&k).as_deref() == Some("Expired") => Some("Expired".to_string()),
                None => None,
            },
            last_used: match k.last_used_at {
                Some(d) => format!("Last used {}", when(d)),
                None => "Never used".to_string(),
            },
            id: k.id,
            name: k.name,
        })
        .collect())
}

/// `Expires in 12 days` … `Expired` for an unrevoked key that expires.
fn expiry_of(k: &store::ApiKey) -> Option<String> {
    let at = k.expires_at?;
    k.expiry_date.is_none().then(|| expiry_text((at - clock::now()).whole_seconds()))
}

/// How many of the service's working keys expire within 30 days (a key
/// replaced by rotation is meant to: it does not count).
pub async fn keys_expiring_soon(state: &AppState, service_id: &str) -> Result<usize, PageError> {
    let soon = clock::now() + time::Duration::days(30);
    Ok(store::list_api_keys(&state.pool, service_id, app::ssr::keys::revoked_window_start())
        .await?
        .iter()
        .filter(|k| k.expiry_date.is_none() && k.rotated_to.is_none())
        .filter_map(|k| k.expires_at)
        .filter(|at| *at > clock::now() && *at <= soon)
        .count())
}

pub async fn keys(State(state): State<AppState>, ctx: Ctx) -> Answer {
    let keys = key_rows(&state, ctx.id()).await?;
    let departures = super::team::departure_views(&state, ctx.id()).await?;
    ctx.show_with_flash(&state, ApiKeys { keys, confirm_revoke: None, departures }).await
}

/// The longest lifetime the service allows its new keys.
async fn max_lifetime(state: &AppState, service_id: &str) -> Result<Option<i64>, PageError> {
    Ok(store::get_service(&state.pool, service_id).await?.and_then(|s| s.max_key_lifetime_days))
}

pub async fn create_key_form(State(state): State<AppState>, ctx: Ctx) -> Answer {
    let max = max_lifetime(&state, ctx.id()).await?;
    Ok(ctx.show(CreateKeyForm {
        expires_in: KeyLifetime::default_for(max).value().to_string(),
        max_lifetime_days: max,
        ..CreateKeyForm::default()
    }))
}

#[derive(Deserialize)]
pub struct CreateKey {
    #[serde(default)]
    key_name: String,
    #[serde(default)]
    key_type: String,
    #[serde(default)]
    expires_in: String,
}

pub async fn create_key(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm<CreateKey>) -> Answer {
    let service_id = ctx.id().to_string();
    let CreateKey { key_name: raw_name, key_type: raw_type, expires_in } = form;
    let key_type = KeyType::parse(&raw_type);
    let max = max_lifetime(&state, &service_id).await?;
    // A request without the field (the form always sends one) gets the
    // form's default.
    let lifetime =
        if expires_in.is_empty() { Some(KeyLifetime::default_for(max)) } else { KeyLifetime::parse(&expires_in) };
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
    if lifetime.is_none() {
        errors.push("expires_in", "Select when the key should expire");
    }
    let form_again = |errors| CreateKeyForm {
        key_name: raw_name.clone(),
        key_type: raw_type.clone(),
        expires_in: expires_in.clone(),
        max_lifetime_days: max,
        errors,
    };
    let (Some(name), Some(key_type), Some(lifetime), true) = (name, key_type, lifetime, errors.is_empty()) else {
        return Ok(ctx.show(form_again(errors)));
    };
    let created = app::ssr::keys::create(
        &state.pool,
        &state.secrets,
        &service_id,
        &name,
        key_type,
        lifetime,
        Some(&ctx.signed_in.user.id),
    )
    .await?;
    let created = match created {
        Ok(created) => created,
        // The form never offers a live key in trial mode, nor a lifetime
        // longer than the service allows: only a hand-made request gets here.
        Err(NotCreated::LiveKeyInTrialMode | NotCreated::LifetimeTooLong | NotCreated::NoSuchService) => {
            return Err(ctx.bad_request())
        }
        Err(NotCreated::DuplicateName) => {
            let mut errors = FormErrors::default();
            errors.push("key_name", "A key with this name already exists");
            return Ok(ctx.show(form_again(errors)));
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
    let departures = super::team::departure_views(&state, ctx.id()).await?;
    Ok(ctx.show(ApiKeys { keys, confirm_revoke: Some((key.id, key.name)), departures }))
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
        // Read again after the revocation: a rotation may have won a race
        // with it, and then the key that replaced this one still works —
        // the person revoking must not believe the service is safe.
        let revoked = find_key(&state, ctx.id(), &key.id).await?;
        let replacement = match revoked.rotated_to.as_deref() {
            Some(new_id) => find_key(&state, ctx.id(), new_id).await.ok().filter(|new| {
                app::ssr::keys::key_state(new.expiry_date, new.expires_at) == app::ssr::keys::KeyState::Active
            }),
            None => None,
        };
        let message = match replacement {
            Some(new) => format!(
                "‘{}’ was revoked. The key that replaced it, ‘{}’, still works: revoke it too if it should stop",
                key.name, new.name
            ),
            None => format!("‘{}’ was revoked", key.name),
        };
        ctx.flash(&state, &message).await?;
    }
    Ok(found(&ctx.path("/api/keys")))
}

/// A working key that has not been rotated yet, or 404.
async fn rotatable_key(state: &AppState, ctx: &Ctx, key_id: &str) -> Result<store::ApiKey, PageError> {
    let key = find_key(state, ctx.id(), key_id).await?;
    let working = app::ssr::keys::key_state(key.expiry_date, key.expires_at) == app::ssr::keys::KeyState::Active;
    if !working || key.rotated_to.is_some() {
        return Err(PageError::NotFound);
    }
    Ok(key)
}

pub async fn rotate_form(State(state): State<AppState>, ctx: Ctx, Path((_, key_id)): Path<(String, String)>) -> Answer {
    let key = rotatable_key(&state, &ctx, &key_id).await?;
    Ok(ctx.show(RotateKeyForm { key_id: key.id, name: key.name, overlap: "24h".into(), errors: FormErrors::default() }))
}

#[derive(Deserialize)]
pub struct Rotate {
    #[serde(default)]
    overlap: String,
}

pub async fn rotate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, key_id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Rotate>,
) -> Answer {
    let key = rotatable_key(&state, &ctx, &key_id).await?;
    let Some(overlap) = app::domain::api_key::Overlap::parse(&form.overlap) else {
        let mut errors = FormErrors::default();
        errors.push("overlap", "Select how long the current key should keep working");
        return Ok(ctx.show(RotateKeyForm { key_id: key.id, name: key.name, overlap: form.overlap, errors }));
    };
    let rotated =
        app::ssr::keys::rotate(&state.pool, &state.secrets, ctx.id(), &key.id, overlap, Some(&ctx.signed_in.user.id))
            .await?;
    // Rotated or revoked meanwhile by someone else.
    let Some(created) = rotated else { return Err(PageError::NotFound) };
    tracing::info!(service_id = %ctx.id(), key_id = %key.id, new_key_id = %created.id, "API key rotated");
    Ok(ctx.show(ShownKey { name: key.name, key: created.key }))
}

// ---------------------------------------------------------------- audit log

/// `/services/{id}/api/audit?page=N`: the audit log, newest first.
pub async fn audit_log(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Answer {
    use app::pages::audit::{AuditLog, PER_PAGE};
    let page = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "page")
        .map(|(_, v)| v.into_owned());
    let page = match page.as_deref().map(str::parse::<i64>) {
        None => 1,
        Some(Ok(n)) if (1..=1_000_000).contains(&n) => n,
        Some(_) => return Err(PageError::NotFound),
    };
    let (entries, more) = store::audit_log(&state.pool, ctx.id(), page, PER_PAGE).await?;
    if entries.is_empty() && page > 1 {
        return Err(PageError::NotFound);
    }
    let rows = entries.into_iter().map(audit_row).collect();
    Ok(ctx.show(AuditLog { rows, page, more }))
}

/// An audit entry as the audit log and a key's history show it.
fn audit_row(e: store::AuditEntry) -> app::pages::audit::AuditRow {
    app::pages::audit::AuditRow {
        when: datetime_short(e.at.time()),
        who: match (e.user_name, e.user_email) {
            (Some(name), Some(email)) => format!("{name} ({email})"),
            _ => "The system".to_string(),
        },
        what: e.description,
        key_id: e.api_key_id,
    }
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
    match app::ssr::guest_list::replace(&state.pool, ctx.id(), &ctx.signed_in.user.id, &emails, &phones).await? {
        Ok(()) => {
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

// ---------------------------------------------------------------- a key's page and alerts

fn alert_row(a: store::KeyAlert) -> app::pages::key_page::AlertRow {
    let when = |t: Timestamp| datetime_short(t.time());
    app::pages::key_page::AlertRow {
        id: a.id,
        raised: when(a.raised_at),
        detail: a.detail,
        dismissed: a.dismissed_at.map(|d| format!("Dismissed {}", when(d))),
    }
}

/// The service's open alerts, as the hub lists them.
pub async fn open_alert_rows(
    state: &AppState,
    service_id: &str,
) -> Result<Vec<app::pages::key_page::AlertRow>, PageError> {
    Ok(store::open_alerts(&state.pool, service_id).await?.into_iter().map(alert_row).collect())
}

/// `29 November 2026 at 2:05pm`.
fn full_date(t: Timestamp) -> String {
    let local = app::domain::london_time::to_london(t.time());
    format!("{} {} {} at {}", local.day(), local.month(), local.year(), app::domain::london_time::time_of_day(local))
}

/// `/services/{id}/api/keys/{key_id}`: any key of the service, working or
/// not, long after it left the list.
pub async fn key_page(State(state): State<AppState>, ctx: Ctx, Path((_, key_id)): Path<(String, String)>) -> Answer {
    use app::domain::key_usage::{daily, hour_of, IDLE_DAYS};
    use app::ssr::keys::{key_state, KeyState};
    let key = find_key(&state, ctx.id(), &key_id).await?;
    let now = clock::now();
    let creator = match key.created_by.as_deref() {
        Some(id) => store::get_user(&state.pool, id).await?.map(|u| format!(" by {} ({})", u.name, u.email_address)),
        None => None,
    };
    let created = format!("{}{}", full_date(key.created_at), creator.unwrap_or_else(|| " by an admin command".into()));
    let expires_at = key.expires_at;
    let state_now = key_state(key.expiry_date, key.expires_at);
    let status = match (key.expiry_date, expires_at) {
        (Some(revoked), _) => format!("Revoked {}", full_date(revoked)),
        (None, Some(at)) if at <= now => format!("Expired {}", full_date(at)),
        _ if key.rotated_to.is_some() => "Working, replaced by a new key of the same name".to_string(),
        _ => "Working".to_string(),
    };
    let expiry = match (key.expiry_date.is_some(), expires_at) {
        (true, _) => "Revoked: no longer works".to_string(),
        (false, None) => "Never expires".to_string(),
        (false, Some(at)) if at <= now => format!("Expired {}", full_date(at)),
        (false, Some(at)) => format!("{} ({})", expiry_text((at - now).whole_seconds()), full_date(at)),
    };
    let last_used_at = key.last_used_at;
    let last_used = last_used_at.map(full_date).unwrap_or_else(|| "Never used".to_string());
    let working = state_now == KeyState::Active;
    let mut flags = Vec::new();
    match last_used_at {
        None => flags.push("Never used"),
        Some(at) if now - at >= time::Duration::days(IDLE_DAYS) => flags.push("Unused for 90 days"),
        Some(_) => {}
    }
    if working && expires_at.is_none() {
        flags.push("No expiry");
    }
    let since = hour_of((now - time::Duration::days(31)).time());
    let usage = store::key_usage_since(&state.pool, &key.id, &since).await?;
    let today = app::domain::london_time::to_london(now.time()).date();
    let alerts = store::alerts_for_key(&state.pool, ctx.id(), &key.id).await?.into_iter().map(alert_row).collect();
    let history = store::key_audit_log(&state.pool, ctx.id(), &key.id, 50).await?.into_iter().map(audit_row).collect();
    ctx.show_with_flash(
        &state,
        app::pages::key_page::KeyPage {
            id: key.id.clone(),
            name: key.name.clone(),
            type_description: key.key_type.description(),
            created,
            status,
            expiry,
            last_used,
            flags,
            week: daily(&usage, today, 7),
            month: daily(&usage, today, 30),
            alerts,
            history,
            working,
            rotated: key.rotated_to.is_some(),
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct Dismiss {
    #[serde(default)]
    back: String,
}

/// Dismisses one of the service's open alerts; back to the key's page or
/// the hub. Another service's alert, or one already dismissed, is 404.
pub async fn dismiss_alert(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, alert_id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Dismiss>,
) -> Answer {
    let alert_id: i64 = alert_id.parse().map_err(|_| PageError::NotFound)?;
    let Some(alert) = store::dismiss_alert(&state.pool, ctx.id(), alert_id, &ctx.signed_in.user.id).await? else {
        return Err(PageError::NotFound);
    };
    tracing::info!(service_id = %ctx.id(), alert_id, "alert dismissed");
    ctx.flash(&state, "Alert dismissed").await?;
    Ok(match (form.back.as_str(), alert.key_id) {
        ("key", Some(key_id)) => found(&ctx.path(&format!("/api/keys/{key_id}"))),
        _ => found(&ctx.path("/api")),
    })
}
