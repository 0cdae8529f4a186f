//! `GET /sign-in`, `POST /sign-in`, `POST /sign-out`.

use super::error::{found, show, show_with, PageError};
use super::extract::Form;
use super::session;
use crate::AppState;
use app::domain::safe_next_path;
use app::pages::errors;
use app::pages::sign_in::SignInForm;
use app::ssr::{clock, passwords, second_factor, store};
use app::view_model::{FormErrors, Page};
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Extension;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};

/// Failed attempts allowed for one address within the window.
pub const MAX_FAILURES: i64 = 10;
pub const FAILURE_WINDOW_MINUTES: i64 = 5;

pub const WRONG_CREDENTIALS: &str = "The email address or password you entered is incorrect";
pub const TOO_MANY_ATTEMPTS: &str =
    "You have tried to sign in too many times with this email address. Wait 5 minutes, then try again.";
pub const TOO_MANY_FROM_CLIENT: &str =
    "There have been too many failed attempts to sign in from your network. Wait 5 minutes, then try again.";
pub const BUSY: &str = "Too many people are signing in right now. Wait a few seconds, then try again.";

/// Failed attempts allowed from one client address (or IPv6 /64) within the
/// window, whichever addresses they tried.
pub const MAX_CLIENT_FAILURES: i64 = 50;
/// Longest email address taken (RFC 5321's path limit); longer ones are
/// refused before any work, and never stored.
pub const MAX_EMAIL_CHARS: usize = 320;
/// Longest password taken, in bytes.
pub const MAX_PASSWORD_BYTES: usize = passwords::MAX_PASSWORD_BYTES;

/// Where to go after signing in: the first `?next=`, when it is a local path.
fn next_from(query: Option<String>) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "next")
        .map(|(_, value)| value.into_owned())
        .filter(|n| safe_next_path(n).is_some())
}

pub async fn show_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let next = next_from(query);
    if session::load(&state, &headers).await?.is_some() {
        return Ok(found(next.as_deref().unwrap_or("/your-services")));
    }
    Ok(show(Page::new(SignInForm { next, ..Default::default() })))
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    email_address: String,
    #[serde(default)]
    password: String,
}

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    RawQuery(query): RawQuery,
    Form(form): Form<SignIn>,
) -> Result<Response, PageError> {
    let next = next_from(query);
    let email = form.email_address.trim().to_string();
    let password = form.password.as_str();
    let client = super::client::client_addr(&state.config, &headers, peer.map(|Extension(ConnectInfo(a))| a));

    let mut errors = FormErrors::default();
    if email.is_empty() {
        errors.push("email_address", "Enter your email address");
    } else if email.chars().count() > MAX_EMAIL_CHARS {
        errors.push("email_address", "Email address must be 320 characters or fewer");
    }
    if password.is_empty() {
        errors.push("password", "Enter your password");
    } else if password.len() > MAX_PASSWORD_BYTES {
        errors.push("password", "Password must be 1,024 characters or fewer");
    }
    let mut status = StatusCode::OK;
    let mut retry_after = None;
    if errors.is_empty() {
        match attempt(&state, &email, password, client).await? {
            Attempt::SignedIn(user) if user.auth_type.has_second_factor() => {
                // The password was right: now the code, in this browser.
                let (browser, channel) = second_factor::start_sign_in(
                    &state.pool,
                    &state.secrets,
                    &user,
                    next.as_deref(),
                    &state.config.base_url,
                )
                .await?;
                tracing::info!(user_id = %user.id, "password right; security code sent");
                let mut response = found(channel.page());
                response.headers_mut().insert(header::SET_COOKIE, session::pending_cookie(&state, &browser));
                return Ok(response);
            }
            Attempt::SignedIn(user) => {
                return signed_in(&state, &headers, &user.id, &email.to_lowercase(), next.as_deref()).await;
            }
            refused => {
                let (field, message, reason) = match refused {
                    Attempt::Wrong => ("password", WRONG_CREDENTIALS, "wrong_credentials"),
                    Attempt::AddressSpent => ("email_address", TOO_MANY_ATTEMPTS, "address_throttled"),
                    Attempt::ClientSpent => ("email_address", TOO_MANY_FROM_CLIENT, "client_throttled"),
                    Attempt::Busy => ("email_address", BUSY, "busy"),
                    Attempt::SignedIn(_) => unreachable!("handled above"),
                };
                tracing::warn!(target: "security", event = "sign_in_refused", reason, client = ?client);
                errors.push(field, message);
                if reason != "wrong_credentials" {
                    status = StatusCode::TOO_MANY_REQUESTS;
                    retry_after = Some(if reason == "busy" { "5" } else { "300" });
                }
            }
        }
    }
    let page = Page::new(SignInForm { email_address: email, next, errors });
    let mut response = show_with(page, status);
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
    }
    Ok(response)
}

/// Ends a sign-in that has passed every step: the address's failures are
/// forgotten, any old session of this browser ends, and a new one starts
/// (a new session id at every sign-in). `address` is the lower-cased
/// email address whose sign-in budget it was.
pub(crate) async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    user_id: &str,
    address: &str,
    next: Option<&str>,
) -> Result<Response, PageError> {
    store::clear_sign_in_failures(&state.pool, address).await?;
    session::end(state, headers).await?;
    let cookie = session::start(state, user_id).await?;
    tracing::info!(user_id = %user_id, "signed in");
    let next = next.filter(|n| safe_next_path(n).is_some()).unwrap_or("/your-services");
    let mut response = found(next);
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// What checking a signed-in user's password found.
pub(crate) enum PasswordCheck {
    Right,
    Wrong,
    /// A budget is spent: what to say.
    Spent(&'static str),
}

/// Checks the password of a user who is signed in already (before they
/// change their details), within the same budgets as signing in.
pub(crate) async fn check_password(
    state: &AppState,
    email: &str,
    password: &str,
    client: Option<IpAddr>,
) -> Result<PasswordCheck, PageError> {
    Ok(match attempt(state, email, password, client).await? {
        Attempt::SignedIn(_) => PasswordCheck::Right,
        Attempt::Wrong => PasswordCheck::Wrong,
        Attempt::AddressSpent => PasswordCheck::Spent(TOO_MANY_ATTEMPTS),
        Attempt::ClientSpent => PasswordCheck::Spent(TOO_MANY_FROM_CLIENT),
        Attempt::Busy => PasswordCheck::Spent(BUSY),
    })
}

/// Which sign-in budget is spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Spent {
    /// [`MAX_FAILURES`] failures for the address within the window.
    Address,
    /// [`MAX_CLIENT_FAILURES`] failures from the client within the window.
    Client,
}

impl Spent {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Spent::Address => TOO_MANY_ATTEMPTS,
            Spent::Client => TOO_MANY_FROM_CLIENT,
        }
    }

    pub(crate) fn reason(self) -> &'static str {
        match self {
            Spent::Address => "address_throttled",
            Spent::Client => "client_throttled",
        }
    }
}

/// One try (a password, a code, a link, a security key's answer) reserved
/// from the sign-in budgets: the address's, when the try names one, and
/// the client's. Kept, it counts as a failure for the window; given back,
/// it was not one.
#[must_use = "a reservation is kept (a failure) or given back"]
pub(crate) struct Reserved {
    address: Option<i64>,
    client: Option<i64>,
}

/// Reserves one try, atomically per budget, before any work: parallel tries
/// cannot all pass. `address` is lower-cased by the caller.
pub(crate) async fn reserve_try(
    state: &AppState,
    address: Option<&str>,
    client: Option<IpAddr>,
) -> Result<Result<Reserved, Spent>, PageError> {
    let since = clock::ago(time::Duration::minutes(FAILURE_WINDOW_MINUTES));
    let address = match address {
        Some(a) => match store::reserve_sign_in_attempt(&state.pool, a, since, MAX_FAILURES).await? {
            Some(r) => Some(r),
            None => return Ok(Err(Spent::Address)),
        },
        None => None,
    };
    let client = match client {
        Some(ip) => {
            let key = super::client::budget_key(ip);
            match store::reserve_sign_in_attempt(&state.pool, &key, since, MAX_CLIENT_FAILURES).await? {
                Some(r) => Some(r),
                None => {
                    if let Some(r) = address {
                        store::release_sign_in_attempt(&state.pool, r).await?;
                    }
                    return Ok(Err(Spent::Client));
                }
            }
        }
        None => None,
    };
    Ok(Ok(Reserved { address, client }))
}

impl Reserved {
    /// Gives the try back: it was not a failure.
    pub(crate) async fn give_back(self, state: &AppState) -> Result<(), PageError> {
        for r in [self.address, self.client].into_iter().flatten() {
            store::release_sign_in_attempt(&state.pool, r).await?;
        }
        Ok(())
    }
}

/// What became of one sign-in attempt.
enum Attempt {
    SignedIn(store::User),
    Wrong,
    /// Ten failures for this address within five minutes.
    AddressSpent,
    /// [`MAX_CLIENT_FAILURES`] failures from this client within five minutes.
    ClientSpent,
    /// More sign-ins hashing and waiting than [`crate::state::SIGN_IN_QUEUE`].
    Busy,
}

/// Checks a sign-in, in the order that keeps a flood cheap: admission
/// (a full queue answers at once), then one attempt reserved from the
/// address's and the client's budgets (atomically, so parallel attempts
/// cannot all pass), then the hash. A success gives its reservations back
/// (the address's earlier failures are forgotten only once every step of
/// signing in has passed: [`signed_in`]).
async fn attempt(state: &AppState, email: &str, password: &str, client: Option<IpAddr>) -> Result<Attempt, PageError> {
    let Ok(_admitted) = state.sign_in_admission.try_acquire() else { return Ok(Attempt::Busy) };
    let address = email.to_lowercase();
    let reserved = match reserve_try(state, Some(&address), client).await? {
        Ok(reserved) => reserved,
        Err(Spent::Address) => return Ok(Attempt::AddressSpent),
        Err(Spent::Client) => return Ok(Attempt::ClientSpent),
    };
    let user = store::find_user_by_email(&state.pool, email).await?;
    let ok = verify_password(state, password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    match user.filter(|_| ok) {
        Some(user) => {
            reserved.give_back(state).await?;
            Ok(Attempt::SignedIn(user))
        }
        None => Ok(Attempt::Wrong),
    }
}

#[derive(Deserialize)]
pub struct SignOut {
    #[serde(default)]
    csrf_token: String,
}

pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignOut>,
) -> Result<Response, PageError> {
    if let Some(signed_in) = session::load(&state, &headers).await? {
        if !signed_in.csrf_matches(&form.csrf_token) {
            return Err(PageError::Forbidden(Box::new(Page {
                viewer: Some(signed_in.viewer()),
                ..Page::new(errors::Forbidden)
            })));
        }
        session::end(&state, &headers).await?;
    }
    let mut response = found("/sign-in");
    response.headers_mut().insert(header::SET_COOKIE, session::clear_cookie(&state));
    Ok(response)
}

/// Hashes a new password on a blocking thread, in one of the hashing slots
/// sign-in uses (argon2 takes a core for tens of milliseconds).
pub(crate) async fn hash_new_password(state: &AppState, password: String) -> Result<String, PageError> {
    let _slot = state.hashing.acquire().await?;
    Ok(tokio::task::spawn_blocking(move || passwords::hash(&password)).await??)
}

/// Checks `password` against `hash` (or against a dummy hash, in the same
/// time, when there is no such user) on a blocking thread, at most
/// [`crate::state::HASHING_SLOTS`] at a time, so argon2 never holds up the
/// async workers that serve every other request.
async fn verify_password(state: &AppState, password: &str, hash: Option<String>) -> Result<bool, PageError> {
    let _slot = state.hashing.acquire().await?;
    let password = password.to_string();
    Ok(tokio::task::spawn_blocking(move || match hash {
        Some(hash) => passwords::verify(&password, &hash),
        None => {
            passwords::verify_dummy(&password);
            false
        }
    })
    .await?)
}
