//! `GET /sign-in`, `POST /sign-in`, `POST /sign-out`.

use super::error::{found, show, show_with, PageError};
use super::extract::Form;
use super::session;
use crate::AppState;
use app::domain::safe_next_path;
use app::pages::errors;
use app::pages::sign_in::SignInForm;
use app::ssr::{clock, passwords, store};
use app::view_model::{FormErrors, Page};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

/// Failed attempts allowed for one address within the window.
pub const MAX_FAILURES: i64 = 10;
pub const FAILURE_WINDOW_MINUTES: i64 = 5;

pub const WRONG_CREDENTIALS: &str = "The email address or password you entered is incorrect";
pub const TOO_MANY_ATTEMPTS: &str =
    "You have tried to sign in too many times with this email address. Wait 5 minutes, then try again.";

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
    RawQuery(query): RawQuery,
    Form(form): Form<SignIn>,
) -> Result<Response, PageError> {
    let next = next_from(query);
    let email = form.email_address.trim().to_string();
    let password = form.password.as_str();

    let mut errors = FormErrors::default();
    if email.is_empty() {
        errors.push("email_address", "Enter your email address");
    }
    if password.is_empty() {
        errors.push("password", "Enter your password");
    }
    let mut status = StatusCode::OK;
    if errors.is_empty() {
        let key = email.to_lowercase();
        let since = clock::ago(time::Duration::minutes(FAILURE_WINDOW_MINUTES));
        if store::count_sign_in_failures_since(&state.pool, &key, &since).await? >= MAX_FAILURES {
            errors.push("email_address", TOO_MANY_ATTEMPTS);
            status = StatusCode::TOO_MANY_REQUESTS;
        } else {
            let user = store::find_user_by_email(&state.pool, &email).await?;
            let ok = verify_password(&state, password, user.as_ref().map(|u| u.password_hash.clone())).await?;
            match user.filter(|_| ok) {
                Some(user) => {
                    store::clear_sign_in_failures(&state.pool, &key).await?;
                    // A new session id at every sign-in; any old one is ended.
                    session::end(&state, &headers).await?;
                    let cookie = session::start(&state, &user.id).await?;
                    tracing::info!(user_id = %user.id, "signed in");
                    let mut response = found(next.as_deref().unwrap_or("/your-services"));
                    response.headers_mut().insert(header::SET_COOKIE, cookie);
                    return Ok(response);
                }
                None => {
                    store::record_sign_in_failure(&state.pool, &key).await?;
                    errors.push("password", WRONG_CREDENTIALS);
                }
            }
        }
    }
    let page = Page::new(SignInForm { email_address: email, next, errors });
    Ok(show_with(page, status))
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
