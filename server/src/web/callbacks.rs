//! The callback pages: the list, each kind's form, and what a saved
//! callback offers beyond it (its attempt log, `Send a test callback`,
//! resending failed events, resuming after a pause, a new signing secret).
//! For members with `manage_api_keys`; every POST carries the CSRF token.

use super::error::{found, PageError};
use super::extract::{CsrfForm, ManageApiKeys, ServicePage};
use crate::AppState;
use app::domain::london_time::{datetime_short, time_of_day};
use app::domain::Timestamp;
use app::domain::{CallbackKind, ServicePermission};
use app::pages::callbacks::{
    AttemptItem, CallbackActivity, CallbackForm, CallbackList, CallbackRow, SavedCallback, ShownSigningSecret,
};
use app::ssr::callbacks::{SaveCallback as SaveRequest, Saved};
use app::ssr::clock;
use app::ssr::store::{self, AttemptRow};
use app::view_model::FormErrors;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use std::time::Duration;

type Ctx = ServicePage<ManageApiKeys>;
type Answer = Result<Response, PageError>;

/// Attempts a callback page shows.
const ATTEMPTS_SHOWN: i64 = 20;

fn multiple_callbacks(ctx: &Ctx) -> bool {
    ctx.service.service_can(ServicePermission::InboundSms) || ctx.service.service_can(ServicePermission::Letter)
}

/// Where the hub's Callbacks link goes (Notify's rule).
pub fn callbacks_href(ctx: &Ctx) -> String {
    if multiple_callbacks(ctx) {
        ctx.path("/api/callbacks")
    } else {
        ctx.path("/api/callbacks/delivery-status-callback")
    }
}

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

/// The form's page, with the saved callback's deliveries.
async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    kind: CallbackKind,
    url: Option<String>,
    errors: FormErrors,
) -> Result<CallbackForm, PageError> {
    let saved = store::callback(&state.pool, ctx.id(), kind).await?;
    let deliveries = match &saved {
        Some(c) => Some(saved_callback(state, ctx.id(), c).await?),
        None => None,
    };
    Ok(CallbackForm {
        kind,
        url: url.unwrap_or_else(|| saved.as_ref().map(|c| c.url.clone()).unwrap_or_default()),
        token_saved: saved.is_some(),
        errors,
        back_href: back_href(ctx),
        saved: deliveries,
        service_id: ctx.id().to_string(),
    })
}

async fn saved_callback(state: &AppState, service_id: &str, c: &store::Callback) -> Result<SavedCallback, PageError> {
    let (waiting, failed) = store::callback_event_counts(&state.pool, service_id, c.callback_type).await?;
    let now = clock::now();
    Ok(SavedCallback {
        paused: c.paused_at.as_ref().map(|_| c.pause_reason.clone().unwrap_or_default()),
        waiting,
        failed,
        previous_secret_until: c
            .previous_signing_secret_until
            .filter(|until| *until > now)
            .map(|until| datetime_short(until.time())),
        activity: activity(state, service_id, c.callback_type, None).await?,
    })
}

/// The attempt log as the page shows it.
pub async fn activity(
    state: &AppState,
    service_id: &str,
    kind: CallbackKind,
    message: Option<String>,
) -> anyhow::Result<CallbackActivity> {
    let rows = store::callback_attempts(&state.pool, service_id, kind, ATTEMPTS_SHOWN).await?;
    // The newest attempt of each event says what happens next.
    let mut seen = std::collections::HashSet::new();
    let test_pending = rows.iter().any(|r| r.is_test && r.event_state == "pending");
    let attempts = rows.into_iter().map(|r| attempt_item(r, &mut seen)).collect();
    Ok(CallbackActivity { attempts, message, test_pending })
}

fn attempt_item(r: AttemptRow, newest_seen: &mut std::collections::HashSet<String>) -> AttemptItem {
    let newest = newest_seen.insert(r.event_id.clone());
    let when = |t: Timestamp| datetime_short(t.time());
    let next = match (newest, r.event_state.as_str(), &r.next_attempt_at) {
        (true, "delivered", _) => "Delivered".to_string(),
        (true, "failed", _) => "Failed: no more tries".to_string(),
        (true, "pending", Some(at)) => format!("Retrying at {}", time_of_day(at.time())),
        (true, "pending", None) => "Waiting".to_string(),
        (false, _, Some(_)) => "Tried again".to_string(),
        _ => String::new(),
    };
    AttemptItem {
        when: when(r.at),
        event: if r.is_test {
            "Test callback".to_string()
        } else {
            r.notification_id.map(|id| format!("Notification {id}")).unwrap_or_else(|| "Event".to_string())
        },
        webhook_id: r.event_id,
        result: r.outcome,
        duration: format!("{} ms", r.duration_ms),
        next,
        resendable: newest && r.event_state == "failed",
    }
}

pub async fn callback_form(State(state): State<AppState>, ctx: Ctx, Path((_, slug)): Path<(String, String)>) -> Answer {
    let kind = match callback_kind(&ctx, &slug)? {
        Ok(kind) => kind,
        Err(back) => return Ok(back),
    };
    let form = form_page(&state, &ctx, kind, None, FormErrors::default()).await?;
    ctx.show_with_flash(&state, form).await
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
    let raw_url = form.url.trim().to_string();
    let done = back_href(&ctx);
    let request = SaveRequest {
        kind,
        url: &raw_url,
        bearer_token: &form.bearer_token,
        allow_private: state.config.allow_private_callback_urls,
    };
    let saved =
        app::ssr::callbacks::save(&state.pool, &state.secrets, ctx.id(), &ctx.signed_in.user.id, request).await?;
    let new_secret = match saved {
        Ok(Saved::Unchanged | Saved::Removed) => return Ok(found(&done)),
        Ok(Saved::Saved { new_signing_secret }) => new_signing_secret,
        Err(invalid) => {
            let mut errors = FormErrors::default();
            if let Some(message) = invalid.url {
                errors.push("url", message);
            }
            if let Some(message) = invalid.bearer_token {
                errors.push("bearer_token", message);
            }
            let form = form_page(&state, &ctx, kind, Some(raw_url), errors).await?;
            return Ok(ctx.show(form));
        }
    };
    state.callbacks.rescan();
    tracing::info!(service_id = %ctx.id(), callback_type = kind.as_str(), "callback saved");
    Ok(match new_secret {
        Some(secret) => ctx.show(ShownSigningSecret {
            kind,
            secret,
            back_href: ctx.path(&format!("/api/callbacks/{slug}")),
            rotated: false,
        }),
        None => found(&done),
    })
}

/// The saved callback of the kind the URL names, or 404.
async fn saved_kind(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
) -> Result<Result<(CallbackKind, store::Callback), Response>, PageError> {
    let kind = match callback_kind(ctx, slug)? {
        Ok(kind) => kind,
        Err(back) => return Ok(Err(back)),
    };
    let saved = store::callback(&state.pool, ctx.id(), kind).await?.ok_or(PageError::NotFound)?;
    Ok(Ok((kind, saved)))
}

#[derive(Deserialize)]
pub struct NoFields {}

/// `POST …/{callback}/test`: sends a sample now; the page comes back with
/// the outcome of the first attempt.
pub async fn send_test(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, slug)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Answer {
    let (kind, _) = match saved_kind(&state, &ctx, &slug).await? {
        Ok(found) => found,
        Err(back) => return Ok(back),
    };
    let message = test_callback(&state, ctx.id(), kind).await?;
    ctx.flash(&state, &message).await?;
    Ok(found(&ctx.path(&format!("/api/callbacks/{slug}"))))
}

/// Queues a test event, and waits (up to a little more than the receiver's
/// timeout) for its first attempt: the outcome in words.
pub async fn test_callback(state: &AppState, service_id: &str, kind: CallbackKind) -> anyhow::Result<String> {
    let payload = crate::workers::callbacks::sample_payload(kind);
    let Some(event_id) = store::queue_callback_event(&state.pool, service_id, kind, None, &payload, true).await? else {
        return Ok("There is no callback to test.".to_string());
    };
    state.callbacks.wake();
    let deadline = tokio::time::Instant::now() + crate::workers::callbacks::TIMEOUT + Duration::from_secs(2);
    loop {
        if let Some((event_state, attempts)) = store::callback_event_state(&state.pool, service_id, &event_id).await? {
            if let Some(last) = attempts.first() {
                return Ok(match event_state.as_str() {
                    "delivered" => format!("Test callback delivered: {} in {} ms.", last.outcome, last.duration_ms),
                    "failed" => format!("Test callback failed: {}. We will not try again.", last.outcome),
                    _ => match last.next_attempt_at {
                        Some(at) => {
                            format!(
                                "Test callback failed: {}. We will try again at {}.",
                                last.outcome,
                                time_of_day(at.time())
                            )
                        }
                        None => format!("Test callback failed: {}.", last.outcome),
                    },
                });
            }
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Ok("The test callback has not been sent yet. Its outcome will appear under Recent attempts.".into());
        }
        state.callbacks.wait_for_outcomes(left.min(Duration::from_millis(250))).await;
    }
}

#[derive(Deserialize)]
pub struct Resend {
    #[serde(default)]
    event_id: Option<String>,
    #[serde(default)]
    since: Option<String>,
}

/// `POST …/{callback}/resend`: one failed event (`event_id`), or every
/// failed event of the last hour, 24 hours or 7 days (`since`).
pub async fn resend(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, slug)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Resend>,
) -> Answer {
    let (kind, _) = match saved_kind(&state, &ctx, &slug).await? {
        Ok(found) => found,
        Err(back) => return Ok(back),
    };
    // Failed events made due again go in order with what is new.
    let resent = state.callbacks.making_due();
    let message = if let Some(event_id) = form.event_id.filter(|id| !id.is_empty()) {
        if !store::resend_event(&state.pool, ctx.id(), kind, &event_id).await? {
            return Err(PageError::NotFound);
        }
        "The callback will be sent again now.".to_string()
    } else {
        let hours = match form.since.as_deref() {
            Some("1") => 1,
            Some("24") | None => 24,
            Some("168") => 168,
            Some(_) => return Err(ctx.bad_request()),
        };
        let since = clock::now() - time::Duration::hours(hours);
        let n = store::resend_failed_since(&state.pool, ctx.id(), kind, since).await?;
        match n {
            0 => "No callbacks failed in that time.".to_string(),
            n => format!(
                "{} will be sent again now.",
                app::domain::plural(n as i64, "failed callback", "failed callbacks")
            ),
        }
    };
    drop(resent);
    ctx.flash(&state, &message).await?;
    Ok(found(&ctx.path(&format!("/api/callbacks/{slug}"))))
}

/// `POST …/{callback}/resume`: sends again, oldest waiting event first.
pub async fn resume(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, slug)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Answer {
    let (kind, _) = match saved_kind(&state, &ctx, &slug).await? {
        Ok(found) => found,
        Err(back) => return Ok(back),
    };
    let resumed = state.callbacks.making_due();
    app::ssr::callbacks::resume(&state.pool, ctx.id(), &ctx.signed_in.user.id, kind).await?;
    drop(resumed);
    tracing::info!(service_id = %ctx.id(), callback_type = kind.as_str(), "callback resumed");
    ctx.flash(&state, "Callbacks resumed").await?;
    Ok(found(&ctx.path(&format!("/api/callbacks/{slug}"))))
}

/// `POST …/{callback}/rotate-secret`: a new signing secret, shown once; the
/// old one keeps signing beside it for 24 hours.
pub async fn rotate_secret(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((_, slug)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Answer {
    let (kind, _) = match saved_kind(&state, &ctx, &slug).await? {
        Ok(found) => found,
        Err(back) => return Ok(back),
    };
    let secret =
        app::ssr::callbacks::rotate_signing_secret(&state.pool, &state.secrets, ctx.id(), &ctx.signed_in.user.id, kind)
            .await?
            .ok_or(PageError::NotFound)?;
    tracing::info!(service_id = %ctx.id(), callback_type = kind.as_str(), "callback signing secret replaced");
    Ok(ctx.show(ShownSigningSecret {
        kind,
        secret,
        back_href: ctx.path(&format!("/api/callbacks/{slug}")),
        rotated: true,
    }))
}
