//! The second step of signing in (`app::ssr::second_factor` owns the
//! rules): `/two-factor-sms` and `/two-factor-email-sent` take the code,
//! `/text-not-received` and `/email-not-received` send another,
//! `/email-auth/{token}` is the email's link. The browser that gave the
//! password holds a pending sign-in cookie (not a session); a wrong code
//! counts against the sign-in budgets of the address and the client, as a
//! wrong password does.

use super::error::{found, show, show_with, PageError};
use super::extract::Form;
use super::session;
use super::sign_in;
use crate::AppState;
use app::pages::account::Notice;
use app::pages::two_factor::{CodeForm, EmailLink, NotReceived};
use app::ssr::second_factor::{self, Channel, CodeCheck, Resend};
use app::ssr::store;
use app::view_model::{FormErrors, Page};
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Extension;
use std::collections::HashMap;
use std::net::SocketAddr;

type Answer = Result<Response, PageError>;

/// The sign-in in progress in this browser: its pending token, its user
/// and where its code went. `None`: go back to the sign-in page.
async fn pending(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(String, second_factor::PendingSignIn)>, PageError> {
    let Some(browser) = session::pending_token(state, headers) else { return Ok(None) };
    Ok(second_factor::pending_sign_in(&state.pool, &browser).await?.map(|p| (browser, p)))
}

fn resent(query: Option<String>) -> bool {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes()).any(|(k, v)| k == "resent" && v == "1")
}

pub async fn sms_form(state: State<AppState>, headers: HeaderMap, query: RawQuery) -> Answer {
    code_form(state, headers, query, false).await
}

pub async fn email_form(state: State<AppState>, headers: HeaderMap, query: RawQuery) -> Answer {
    code_form(state, headers, query, true).await
}

async fn code_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    by_email: bool,
) -> Answer {
    let expected = if by_email { Channel::Email } else { Channel::Sms };
    match pending(&state, &headers).await? {
        Some((_, p)) if p.channel == expected => {
            Ok(show(Page::new(CodeForm { by_email, resent: resent(query), ..Default::default() })))
        }
        Some((_, p)) => Ok(found(p.channel.page())),
        None => Ok(found("/sign-in")),
    }
}

pub async fn check_sms(
    state: State<AppState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    form: Form<HashMap<String, String>>,
) -> Answer {
    check(state, headers, peer, form, false).await
}

pub async fn check_email(
    state: State<AppState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    form: Form<HashMap<String, String>>,
) -> Answer {
    check(state, headers, peer, form, true).await
}

async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<HashMap<String, String>>,
    by_email: bool,
) -> Answer {
    let Some((browser, p)) = pending(&state, &headers).await? else { return Ok(found("/sign-in")) };
    let expected = if by_email { Channel::Email } else { Channel::Sms };
    if p.channel != expected {
        return Ok(found(p.channel.page()));
    }
    let typed = form.get("code").cloned().unwrap_or_default();
    let page = |errors: FormErrors, status| {
        show_with(Page::new(CodeForm { by_email, resent: false, code: typed.clone(), errors }), status)
    };
    let mut errors = FormErrors::default();
    // Each try is reserved from the address's and the client's budgets
    // before it is checked, as a password is.
    let address = p.email_address.to_lowercase();
    let client = super::client::client_addr(&state.config, &headers, peer.map(|Extension(ConnectInfo(a))| a));
    let reserved = match sign_in::reserve_try(&state, Some(&address), client).await? {
        Ok(reserved) => reserved,
        Err(spent) => {
            tracing::warn!(target: "security", event = "sign_in_code_refused", reason = spent.reason(), client = ?client);
            errors.push("code", spent.message());
            return Ok(too_many(page(errors, StatusCode::TOO_MANY_REQUESTS)));
        }
    };
    let outcome = second_factor::check_sign_in_code(&state.pool, &state.secrets, &browser, &typed).await?;
    // Only a wrong code is a failed try; the reservations of anything else
    // are given back.
    if !matches!(outcome, Some(CodeCheck::Wrong | CodeCheck::TooManyTries)) {
        reserved.give_back(&state).await?;
    }
    let Some(outcome) = outcome else { return Ok(found("/sign-in")) };
    match outcome {
        CodeCheck::Right { user_id, next } => {
            let mut response = sign_in::signed_in(&state, &headers, &user_id, &address, next.as_deref()).await?;
            response.headers_mut().append(header::SET_COOKIE, session::clear_pending_cookie(&state));
            Ok(response)
        }
        other => {
            tracing::warn!(target: "security", event = "sign_in_code_refused", reason = ?other, client = ?client);
            let message = other.message(CodeForm::thing(by_email)).unwrap_or_default();
            errors.push("code", message);
            Ok(page(errors, StatusCode::OK))
        }
    }
}

fn too_many(mut response: Response) -> Response {
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("300"));
    response
}

pub async fn sms_not_received(state: State<AppState>, headers: HeaderMap) -> Answer {
    not_received(state, headers, false).await
}

pub async fn email_not_received(state: State<AppState>, headers: HeaderMap) -> Answer {
    not_received(state, headers, true).await
}

async fn not_received(State(state): State<AppState>, headers: HeaderMap, by_email: bool) -> Answer {
    match pending(&state, &headers).await? {
        Some((_, p)) if p.channel != Channel::Webauthn => {
            Ok(show(Page::new(NotReceived { by_email, ..Default::default() })))
        }
        Some((_, p)) => Ok(found(p.channel.page())),
        None => Ok(found("/sign-in")),
    }
}

/// Sends another code (the last one stops working).
pub async fn resend(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    let Some(browser) = session::pending_token(&state, &headers) else { return Ok(found("/sign-in")) };
    match second_factor::resend(&state.pool, &state.secrets, &browser, &state.config.base_url).await? {
        Resend::Sent(channel) => Ok(found(&format!("{}?resent=1", channel.page()))),
        Resend::NoSignIn => Ok(found("/sign-in")),
        Resend::TooMany => Ok(show_with(
            Page::new(Notice {
                heading: "You’ve asked for too many codes".into(),
                paragraphs: vec![format!(
                    "We’ve sent you {} codes for this sign-in. Sign in again to get a new one.",
                    second_factor::MAX_CODES
                )],
                link: Some(("Sign in again".into(), "/sign-in".into())),
            }),
            StatusCode::TOO_MANY_REQUESTS,
        )),
    }
}

fn link_expired() -> Answer {
    Ok(show(Page::new(Notice {
        heading: "The link has expired".into(),
        paragraphs: vec!["Sign in again to get a new link.".into()],
        link: Some(("Sign in again".into(), "/sign-in".into())),
    })))
}

/// The email's link opens a button: mail scanners that follow links do
/// not spend it.
pub async fn email_link(State(state): State<AppState>, Path(token): Path<String>) -> Answer {
    if second_factor::sign_in_link_works(&state.pool, &token).await? {
        Ok(show(Page::new(EmailLink)))
    } else {
        link_expired()
    }
}

/// Uses the link. A link that does not work is a failed try on the
/// client's sign-in budget (its 256 random bits make guessing hopeless; the
/// budget keeps a flood from trying).
pub async fn use_email_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(token): Path<String>,
) -> Answer {
    let client = super::client::client_addr(&state.config, &headers, peer.map(|Extension(ConnectInfo(a))| a));
    let reserved = match sign_in::reserve_try(&state, None, client).await? {
        Ok(reserved) => reserved,
        Err(spent) => {
            tracing::warn!(target: "security", event = "sign_in_link_refused", reason = spent.reason(), client = ?client);
            let page = Page::new(Notice {
                heading: "Too many attempts".into(),
                paragraphs: vec![spent.message().into()],
                link: None,
            });
            return Ok(too_many(show_with(page, StatusCode::TOO_MANY_REQUESTS)));
        }
    };
    let Some((user_id, next)) = second_factor::use_sign_in_link(&state.pool, &token).await? else {
        tracing::warn!(target: "security", event = "sign_in_link_refused", reason = "unusable", client = ?client);
        return link_expired();
    };
    reserved.give_back(&state).await?;
    let Some(user) = store::get_user(&state.pool, &user_id).await? else { return link_expired() };
    let mut response =
        sign_in::signed_in(&state, &headers, &user_id, &user.email_address.to_lowercase(), next.as_deref()).await?;
    response.headers_mut().append(header::SET_COOKIE, session::clear_pending_cookie(&state));
    Ok(response)
}
