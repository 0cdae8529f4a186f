//! `GET /sign-in`, `POST /sign-in`, `POST /sign-out`.

use super::error::{forbidden, AppError};
use super::form::{query_param, FormFields};
use super::render::render;
use super::session;
use crate::AppState;
use app::domain::safe_next_path;
use app::ssr::{clock, passwords, store};
use app::view_model::{Content, FormErrors, Page, SignInForm};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::Response;

/// Failed attempts allowed for one address within the window.
pub const MAX_FAILURES: i64 = 10;
pub const FAILURE_WINDOW_MINUTES: i64 = 5;

pub const WRONG_CREDENTIALS: &str = "The email address or password you entered is incorrect";
pub const TOO_MANY_ATTEMPTS: &str =
    "You have tried to sign in too many times with this email address. Wait 5 minutes, then try again.";

fn next_from(parts: &axum::http::request::Parts) -> Option<String> {
    query_param(parts.uri.query(), "next").filter(|n| safe_next_path(n).is_some())
}

pub async fn show(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (parts, _) = req.into_parts();
    let next = next_from(&parts);
    if session::load(&state, &parts.headers).await?.is_some() {
        return Ok(super::found(next.as_deref().unwrap_or("/your-services")));
    }
    let page = Page::new(Content::SignIn(SignInForm { next, ..Default::default() }));
    Ok(render(&state, &parts, page, StatusCode::OK).await)
}

pub async fn submit(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let form = FormFields::parse(&bytes);
    let next = next_from(&parts);
    let email = form.get("email_address").trim().to_string();
    let password = form.get("password");

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
            let ok = match &user {
                Some(u) => passwords::verify(password, &u.password_hash),
                None => {
                    passwords::verify_dummy(password);
                    false
                }
            };
            match user.filter(|_| ok) {
                Some(user) => {
                    store::clear_sign_in_failures(&state.pool, &key).await?;
                    // A new session id at every sign-in; any old one is ended.
                    session::end(&state, &parts.headers).await?;
                    let cookie = session::start(&state, &user.id).await?;
                    tracing::info!(user_id = %user.id, "signed in");
                    let mut response = super::found(next.as_deref().unwrap_or("/your-services"));
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
    let page = Page::new(Content::SignIn(SignInForm { email_address: email, next, errors }));
    Ok(render(&state, &parts, page, status).await)
}

pub async fn sign_out(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let form = FormFields::parse(&bytes);
    if let Some(signed_in) = session::load(&state, &parts.headers).await? {
        if !signed_in.csrf_matches(form.get("csrf_token")) {
            let mut page = Page::new(Content::Forbidden);
            page.viewer = Some(signed_in.viewer());
            return Ok(forbidden(&state, &parts, page).await);
        }
        session::end(&state, &parts.headers).await?;
    }
    let mut response = super::found("/sign-in");
    response.headers_mut().insert(header::SET_COOKIE, session::clear_cookie(&state));
    Ok(response)
}
