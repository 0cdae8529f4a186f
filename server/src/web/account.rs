//! `/forgot-password`, `/forgot-password/sent` and `/new-password/{token}`:
//! a forgotten password, reset by a link sent by email (`app::ssr::account`).
//! The answer is the same whether the address has an account or not, and
//! requests are counted against the sign-in budgets of the address and the
//! client, so the page cannot be used to flood an inbox.

use super::error::{found, show, PageError};
use super::extract::Form;
use super::session;
use crate::AppState;
use app::domain::sign_in_method::SignInMethod;
use app::domain::EmailAddress;
use app::pages::account::{ForgotPassword, NewPassword, Notice};
use app::ssr::account::{self, ResetLink};
use app::ssr::{clock, passwords, second_factor, store};
use app::view_model::{FormErrors, Page};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::Extension;
use std::collections::HashMap;
use std::net::SocketAddr;

type Answer = Result<Response, PageError>;

/// Reset emails one address may be sent within the sign-in window.
pub const RESETS_PER_ADDRESS: i64 = 5;

pub async fn forgot_form() -> Answer {
    Ok(show(Page::new(ForgotPassword::default())))
}

pub async fn forgot(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<HashMap<String, String>>,
) -> Answer {
    let typed = form.get("email_address").map(|e| e.trim().to_string()).unwrap_or_default();
    let email = match EmailAddress::parse(&typed) {
        Ok(e) if typed.chars().count() <= super::sign_in::MAX_EMAIL_CHARS => e,
        result => {
            let mut errors = FormErrors::default();
            let message = match result {
                Err(e) => e.to_string(),
                Ok(_) => "Email address must be 320 characters or fewer".to_string(),
            };
            errors.push("email_address", message);
            return Ok(show(Page::new(ForgotPassword { email_address: typed, errors })));
        }
    };
    let since = clock::ago(time::Duration::minutes(super::sign_in::FAILURE_WINDOW_MINUTES));
    let address_key = format!("reset:{}", email.as_str().to_lowercase());
    let client = super::client::client_addr(&state.config, &headers, peer.map(|Extension(ConnectInfo(a))| a));
    let client_ok = match client {
        Some(ip) => {
            let key = format!("reset:{}", super::client::budget_key(ip));
            store::reserve_sign_in_attempt(&state.pool, &key, since, super::sign_in::MAX_CLIENT_FAILURES)
                .await?
                .is_some()
        }
        None => true,
    };
    let address_ok =
        store::reserve_sign_in_attempt(&state.pool, &address_key, since, RESETS_PER_ADDRESS).await?.is_some();
    if client_ok && address_ok {
        account::request_reset(&state.pool, email.as_str(), &state.config.base_url).await?;
    } else {
        tracing::warn!(target: "security", event = "password_reset_throttled", client = ?client);
    }
    // The same answer whatever happened.
    Ok(found("/forgot-password/sent"))
}

pub async fn sent() -> Answer {
    Ok(show(Page::new(Notice {
        heading: "Check your inbox".into(),
        paragraphs: vec!["Click the link in the email to reset your password.".into()],
        link: None,
    })))
}

/// What an unusable link says.
fn link_problem(link: ResetLink) -> Answer {
    match link {
        ResetLink::Expired => Ok(show(Page::new(Notice {
            heading: "The link has expired".into(),
            paragraphs: vec!["The link in the email we sent you has expired.".into()],
            link: Some(("Get a new link".into(), "/forgot-password".into())),
        }))),
        ResetLink::Used => Ok(show(Page::new(Notice {
            heading: "The link has already been used".into(),
            paragraphs: vec!["The link in the email has already been used.".into()],
            link: Some(("Sign in".into(), "/sign-in".into())),
        }))),
        _ => Err(PageError::NotFound),
    }
}

pub async fn new_password_form(State(state): State<AppState>, Path(token): Path<String>) -> Answer {
    match account::open_reset(&state.pool, &token).await? {
        ResetLink::Valid(_) => Ok(show(Page::new(NewPassword::default()))),
        other => link_problem(other),
    }
}

/// Sets the new password, ends every other session of the user and signs
/// them in.
pub async fn new_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Answer {
    let user_id = match account::open_reset(&state.pool, &token).await? {
        ResetLink::Valid(user_id) => user_id,
        other => return link_problem(other),
    };
    let password = form.get("new_password").cloned().unwrap_or_default();
    let mut errors = FormErrors::default();
    if let Some(problem) = passwords::new_password_problem(&password) {
        errors.push("new_password", problem);
    }
    if !errors.is_empty() {
        return Ok(show(Page::new(NewPassword { errors })));
    }
    let hash = super::sign_in::hash_new_password(&state, password).await?;
    if !account::complete_reset(&state.pool, &token, &user_id, &hash).await? {
        return link_problem(ResetLink::Used);
    }
    tracing::info!(user_id = %user_id, "password reset; every other session ended");
    let user = store::get_user(&state.pool, &user_id).await?.ok_or(PageError::NotFound)?;
    // The link proved the email address. Whoever signs in with a text
    // message code proves their phone too, as at every sign-in (as Notify
    // does): an inbox alone must not be enough.
    if user.auth_type == SignInMethod::SmsAuth {
        session::end(&state, &headers).await?;
        let (browser, channel) =
            second_factor::start_sign_in(&state.pool, &state.secrets, &user, None, &state.config.base_url).await?;
        let mut response = found(channel.page());
        response.headers_mut().insert(header::SET_COOKIE, session::pending_cookie(&state, &browser));
        return Ok(response);
    }
    // This browser's own session (if any) ended with the others: a new one.
    super::sign_in::signed_in(&state, &headers, &user_id, &user.email_address.to_lowercase(), None).await
}
