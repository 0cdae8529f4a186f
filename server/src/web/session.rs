//! Server-side sessions. The cookie holds a random 256-bit id; the database
//! holds only its SHA-256 digest, the user, a CSRF token and the last-seen
//! time. The id changes at every sign-in and dies at sign-out, when idle, or
//! at its absolute lifetime (20 hours by default, as Notify's) however busy.
//! Over https the cookie is `__Host-` prefixed: Secure, host-only, Path=/,
//! so no subdomain and no plain-http page can set or shadow it.

use super::error::PageError;
use crate::AppState;
use app::ssr::{store, tokens};
use app::view_model::Viewer;
use axum::http::{header, HeaderMap, HeaderValue};

pub const COOKIE: &str = "notify_session";
/// The cookie's name over https.
pub const HOST_COOKIE: &str = "__Host-notify_session";
/// The browser's sign-in waiting for its second factor: a random 256-bit
/// token (the database holds its digest with the code). Not a session: it
/// reaches nothing but the code pages, and dies with the code.
pub const PENDING_COOKIE: &str = "notify_sign_in";
pub const PENDING_HOST_COOKIE: &str = "__Host-notify_sign_in";

fn cookie_name(state: &AppState) -> &'static str {
    if state.config.is_https() {
        HOST_COOKIE
    } else {
        COOKIE
    }
}

/// A valid session and its user.
#[derive(Clone)]
pub struct SignedIn {
    pub user: store::User,
    pub csrf_token: String,
    pub digest: String,
}

impl SignedIn {
    pub fn viewer(&self) -> Viewer {
        Viewer {
            name: self.user.name.clone(),
            email_address: self.user.email_address.clone(),
            csrf_token: self.csrf_token.clone(),
        }
    }

    /// A page for this user outside any service (their services, their
    /// account).
    pub fn page(&self, content: impl app::view_model::PageContent + 'static) -> app::view_model::Page {
        let mut page = app::view_model::Page::new(content);
        page.viewer = Some(self.viewer());
        page
    }

    /// Whether a submitted form carries this session's CSRF token.
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        !submitted.is_empty() && tokens::constant_time_eq(submitted, &self.csrf_token)
    }
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The session named by the request's cookie, if it is still valid.
pub async fn load(state: &AppState, headers: &HeaderMap) -> Result<Option<SignedIn>, PageError> {
    let Some(token) = cookie_value(headers, cookie_name(state)) else { return Ok(None) };
    if token.len() != 64 {
        return Ok(None);
    }
    let digest = tokens::digest(&token);
    let limits = state.config.session_limits();
    let Some(session) =
        store::touch_session(&state.pool, &digest, limits.idle_cutoff(), limits.lifetime_cutoff()).await?
    else {
        return Ok(None);
    };
    let Some(user) = store::get_user(&state.pool, &session.user_id).await? else { return Ok(None) };
    Ok(Some(SignedIn { user, csrf_token: session.csrf_token, digest }))
}

/// Starts a new session for `user_id`; returns the `Set-Cookie` value.
pub async fn start(state: &AppState, user_id: &str) -> Result<HeaderValue, PageError> {
    let token = tokens::random_token();
    store::create_session(&state.pool, &tokens::digest(&token), user_id, &tokens::random_token()).await?;
    Ok(cookie(state, &token, None))
}

/// Ends the session named by the request's cookie, if any.
pub async fn end(state: &AppState, headers: &HeaderMap) -> Result<(), PageError> {
    if let Some(token) = cookie_value(headers, cookie_name(state)) {
        store::delete_session(&state.pool, &tokens::digest(&token)).await?;
    }
    Ok(())
}

pub fn clear_cookie(state: &AppState) -> HeaderValue {
    cookie(state, "", Some(0))
}

fn pending_cookie_name(state: &AppState) -> &'static str {
    if state.config.is_https() {
        PENDING_HOST_COOKIE
    } else {
        PENDING_COOKIE
    }
}

/// The `Set-Cookie` value of a sign-in waiting for its code.
pub fn pending_cookie(state: &AppState, token: &str) -> HeaderValue {
    let max_age = app::ssr::second_factor::CODE_LIFETIME.whole_seconds();
    named_cookie(state, pending_cookie_name(state), token, Some(max_age))
}

pub fn clear_pending_cookie(state: &AppState) -> HeaderValue {
    named_cookie(state, pending_cookie_name(state), "", Some(0))
}

/// The token of the browser's sign-in waiting for its code, when it looks
/// like one.
pub fn pending_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, pending_cookie_name(state))
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn cookie(state: &AppState, value: &str, max_age: Option<i64>) -> HeaderValue {
    named_cookie(state, cookie_name(state), value, max_age)
}

fn named_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if state.config.is_https() { "; Secure" } else { "" };
    let max_age = max_age.map(|s| format!("; Max-Age={s}")).unwrap_or_default();
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{max_age}"))
        .expect("a session cookie is a valid header")
}
