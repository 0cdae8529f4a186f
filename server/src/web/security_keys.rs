//! Security keys (`app::ssr::security_keys` owns the rules): the list on
//! "Your account", renaming and deleting (plain forms), and the two
//! WebAuthn exchanges the page's script makes (`public/js/security-keys.js`):
//! registering a key, and signing in with one after the password. The
//! script posts forms (with the session's CSRF token, or the pending
//! sign-in cookie) and reads JSON: `{"options": …}`, then `{"redirect": …}`
//! or `{"error": …}`.

use super::error::{found, show_with, PageError};
use super::extract::{CsrfForm, Form};
use super::session::{self, SignedIn};
use super::sign_in;
use crate::AppState;
use app::domain::name::SecurityKeyName;
use app::domain::relative_time::relative;
use app::pages::two_factor::KeySignIn;
use app::pages::your_account::{KeyListed, ManageSecurityKey, SecurityKeys};
use app::ssr::second_factor::{self, Channel};
use app::ssr::security_keys::{self, KeyProblem};
use app::ssr::{clock, store};
use app::view_model::{Flash, FormErrors, Page};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use std::collections::HashMap;
use std::net::SocketAddr;

type Answer = Result<Response, PageError>;
type Fields = CsrfForm<HashMap<String, String>>;

fn json_error(message: impl Into<String>) -> Response {
    Json(serde_json::json!({ "error": message.into() })).into_response()
}

fn json_options(options: String) -> Response {
    // The options are webauthn-rs's JSON, passed on as they are.
    let body = format!("{{\"options\":{options}}}");
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

pub async fn list(State(state): State<AppState>, signed_in: SignedIn) -> Answer {
    let now = clock::now();
    let keys = store::security_keys(&state.pool, &signed_in.user.id)
        .await?
        .into_iter()
        .map(|k| KeyListed {
            id: k.id,
            name: k.name,
            used: match k.last_used_at {
                Some(at) => format!("Last used {}", relative((now - at).whole_seconds())),
                None => format!("Never used (registered {})", relative((now - k.created_at).whole_seconds())),
            },
        })
        .collect();
    let mut page = signed_in.page(SecurityKeys { keys, available: state.webauthn.is_some() });
    page.flash = store::take_flash(&state.pool, &signed_in.digest).await?.map(|message| Flash { message });
    Ok(show_with(page, StatusCode::OK))
}

/// The options for registering a key.
pub async fn registration_options(State(state): State<AppState>, signed_in: SignedIn, _: Fields) -> Answer {
    let Some(webauthn) = state.webauthn.as_ref() else {
        return Ok(json_error("Security keys are not available at this address"));
    };
    Ok(match security_keys::start_registration(&state.pool, webauthn, &signed_in.user).await? {
        Ok(options) => json_options(options),
        Err(problem) => json_error(problem.message()),
    })
}

/// The browser's answer to a registration.
pub async fn register(State(state): State<AppState>, signed_in: SignedIn, CsrfForm(form): Fields) -> Answer {
    let Some(webauthn) = state.webauthn.as_ref() else {
        return Ok(json_error("Security keys are not available at this address"));
    };
    let answer = form.get("credential").map(String::as_str).unwrap_or_default();
    Ok(match security_keys::finish_registration(&state.pool, webauthn, &signed_in.user, answer).await? {
        Ok(name) => {
            tracing::info!(user_id = %signed_in.user.id, "security key registered");
            store::set_flash(&state.pool, &signed_in.digest, &format!("‘{name}’ registered")).await?;
            Json(serde_json::json!({ "redirect": "/user-profile/security-keys" })).into_response()
        }
        Err(problem) => json_error(problem.message()),
    })
}

async fn own_key(state: &AppState, signed_in: &SignedIn, key_id: &str) -> Result<store::SecurityKeyRow, PageError> {
    store::security_keys(&state.pool, &signed_in.user.id)
        .await?
        .into_iter()
        .find(|k| k.id == key_id)
        .ok_or(PageError::NotFound)
}

pub async fn manage_form(State(state): State<AppState>, signed_in: SignedIn, Path(key_id): Path<String>) -> Answer {
    let key = own_key(&state, &signed_in, &key_id).await?;
    let content = ManageSecurityKey { id: key.id, name: key.name, errors: FormErrors::default() };
    Ok(show_with(signed_in.page(content), StatusCode::OK))
}

pub async fn rename(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(key_id): Path<String>,
    CsrfForm(form): Fields,
) -> Answer {
    let key = own_key(&state, &signed_in, &key_id).await?;
    let typed = form.get("name").cloned().unwrap_or_default();
    let name = match SecurityKeyName::parse(&typed) {
        Ok(name) => name,
        Err(e) => {
            let mut errors = FormErrors::default();
            errors.push("name", SecurityKeyName::message(e));
            let content = ManageSecurityKey { id: key.id, name: typed.trim().to_string(), errors };
            return Ok(show_with(signed_in.page(content), StatusCode::OK));
        }
    };
    store::rename_security_key(&state.pool, &signed_in.user.id, &key.id, name.as_str()).await?;
    store::set_flash(&state.pool, &signed_in.digest, "Key renamed").await?;
    Ok(found("/user-profile/security-keys"))
}

pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(key_id): Path<String>,
    _: Fields,
) -> Answer {
    let key = own_key(&state, &signed_in, &key_id).await?;
    let Some(method_changed) = store::delete_security_key(&state.pool, &signed_in.user.id, &key.id).await? else {
        return Err(PageError::NotFound);
    };
    tracing::info!(user_id = %signed_in.user.id, "security key deleted");
    let message = if method_changed {
        format!("‘{}’ deleted. You have no security keys left: you’ll sign in with an email link or code.", key.name)
    } else {
        format!("‘{}’ deleted", key.name)
    };
    store::set_flash(&state.pool, &signed_in.digest, &message).await?;
    Ok(found("/user-profile/security-keys"))
}

/// `/two-factor-webauthn`: the sign-in in progress waits for its key.
pub async fn sign_in_page(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    let Some(browser) = session::pending_token(&state, &headers) else { return Ok(found("/sign-in")) };
    match second_factor::pending_sign_in(&state.pool, &browser).await? {
        Some(p) if p.channel == Channel::Webauthn => Ok(show_with(Page::new(KeySignIn), StatusCode::OK)),
        Some(p) => Ok(found(p.channel.page())),
        None => Ok(found("/sign-in")),
    }
}

/// The options for signing in with a key.
pub async fn sign_in_options(
    State(state): State<AppState>,
    headers: HeaderMap,
    _: Form<HashMap<String, String>>,
) -> Answer {
    let Some(webauthn) = state.webauthn.as_ref() else {
        return Ok(json_error("Security keys are not available at this address"));
    };
    let Some(browser) = session::pending_token(&state, &headers) else {
        return Ok(json_error(KeyProblem::NoChallenge.message()));
    };
    let Some(p) =
        second_factor::pending_sign_in(&state.pool, &browser).await?.filter(|p| p.channel == Channel::Webauthn)
    else {
        return Ok(json_error(KeyProblem::NoChallenge.message()));
    };
    Ok(match security_keys::start_sign_in(&state.pool, webauthn, &browser, &p.user_id).await? {
        Some(options) => json_options(options),
        None => json_error(KeyProblem::NotVerified.message()),
    })
}

/// The browser's answer to a sign-in: a good one ends the sign-in, within
/// the sign-in budgets as a code is.
pub async fn sign_in_with_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<HashMap<String, String>>,
) -> Answer {
    let Some(webauthn) = state.webauthn.as_ref() else {
        return Ok(json_error("Security keys are not available at this address"));
    };
    let Some(browser) = session::pending_token(&state, &headers) else {
        return Ok(json_error(KeyProblem::NoChallenge.message()));
    };
    let Some(p) =
        second_factor::pending_sign_in(&state.pool, &browser).await?.filter(|p| p.channel == Channel::Webauthn)
    else {
        return Ok(json_error(KeyProblem::NoChallenge.message()));
    };
    let address = p.email_address.to_lowercase();
    let client = super::client::client_addr(&state.config, &headers, peer.map(|Extension(ConnectInfo(a))| a));
    let reserved = match sign_in::reserve_try(&state, Some(&address), client).await? {
        Ok(reserved) => reserved,
        Err(spent) => return Ok(json_error(spent.message())),
    };
    let answer = form.get("credential").map(String::as_str).unwrap_or_default();
    let outcome = security_keys::finish_sign_in(&state.pool, webauthn, &browser, &p.user_id, answer).await?;
    if outcome != Err(KeyProblem::NotVerified) {
        reserved.give_back(&state).await?;
    }
    if let Err(problem) = outcome {
        tracing::warn!(target: "security", event = "sign_in_key_refused", reason = ?problem, client = ?client);
        return Ok(json_error(problem.message()));
    }
    let Some((user_id, next)) = second_factor::complete_key_sign_in(&state.pool, &browser).await? else {
        return Ok(json_error(KeyProblem::NoChallenge.message()));
    };
    let signed = sign_in::signed_in(&state, &headers, &user_id, &address, next.as_deref()).await?;
    let redirect = signed.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("/your-services");
    let mut response = Json(serde_json::json!({ "redirect": redirect })).into_response();
    for cookie in signed.headers().get_all(header::SET_COOKIE) {
        response.headers_mut().append(header::SET_COOKIE, cookie.clone());
    }
    response.headers_mut().append(header::SET_COOKIE, session::clear_pending_cookie(&state));
    Ok(response)
}
