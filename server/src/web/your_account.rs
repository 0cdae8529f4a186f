//! "Your account" (`/user-profile`): the signed-in user's name, email
//! address (confirmed by a link sent to the new one), mobile number
//! (confirmed by a code sent to the new one), password (with the current
//! one) and sign-in method. Changes that need the password check it within
//! the sign-in budgets, so a session left open cannot be used to guess it.

use super::error::{found, show_with, PageError};
use super::extract::CsrfForm;
use super::session::SignedIn;
use super::sign_in;
use crate::AppState;
use app::domain::name::PersonName;
use app::domain::{EmailAddress, PhoneNumber};
use app::pages::account::Notice;
use app::pages::your_account::{
    ChangeEmail, ChangeMobile, ChangeName, ChangePassword, ChangeSignInMethod, ConfirmMobile, YourAccount,
};
use app::ssr::second_factor::{self, CodeCheck, EmailConfirmation};
use app::ssr::{passwords, store};
use app::view_model::{Flash, FormErrors, PageContent};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use std::collections::HashMap;
use std::net::SocketAddr;

type Answer = Result<Response, PageError>;
type Fields = CsrfForm<HashMap<String, String>>;

fn answer(signed_in: &SignedIn, content: impl PageContent + 'static) -> Answer {
    Ok(show_with(signed_in.page(content), StatusCode::OK))
}

/// Back to "Your account", with a banner saying what changed.
async fn done(state: &AppState, signed_in: &SignedIn, message: &str) -> Answer {
    store::set_flash(&state.pool, &signed_in.digest, message).await?;
    Ok(found("/user-profile"))
}

fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map(String::as_str).unwrap_or_default()
}

pub async fn show_account(State(state): State<AppState>, signed_in: SignedIn) -> Answer {
    let user = &signed_in.user;
    let mut page = signed_in.page(YourAccount {
        name: user.name.clone(),
        email_address: user.email_address.clone(),
        mobile_number: user.mobile_number.clone().filter(|m| !m.is_empty()),
        sign_in_method: user.auth_type.label().to_string(),
        pending_email: second_factor::pending_new_email(&state.pool, &user.id).await?,
        security_keys: store::security_keys(&state.pool, &user.id).await?.len(),
    });
    page.flash = store::take_flash(&state.pool, &signed_in.digest).await?.map(|message| Flash { message });
    Ok(show_with(page, StatusCode::OK))
}

pub async fn name_form(signed_in: SignedIn) -> Answer {
    let name = signed_in.user.name.clone();
    answer(&signed_in, ChangeName { name, errors: FormErrors::default() })
}

pub async fn change_name(State(state): State<AppState>, signed_in: SignedIn, CsrfForm(form): Fields) -> Answer {
    let typed = field(&form, "name").to_string();
    let name = match PersonName::parse(&typed) {
        Ok(name) => name,
        Err(e) => {
            let mut errors = FormErrors::default();
            errors.push("name", PersonName::message(e));
            return answer(&signed_in, ChangeName { name: typed.trim().to_string(), errors });
        }
    };
    store::set_user_name(&state.pool, &signed_in.user.id, name.as_str()).await?;
    done(&state, &signed_in, "Your name has been changed").await
}

/// Checks the signed-in user's `password` within the sign-in budgets:
/// the message to show when it is not right.
async fn password_problem(
    state: &AppState,
    signed_in: &SignedIn,
    headers: &HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    password: &str,
) -> Result<Option<&'static str>, PageError> {
    if password.is_empty() {
        return Ok(Some("Enter your password"));
    }
    if password.len() > passwords::MAX_PASSWORD_BYTES {
        return Ok(Some("Password must be 1,024 characters or fewer"));
    }
    let client = super::client::client_addr(&state.config, headers, peer.map(|Extension(ConnectInfo(a))| a));
    Ok(match sign_in::check_password(state, &signed_in.user.email_address, password, client).await? {
        sign_in::PasswordCheck::Right => None,
        sign_in::PasswordCheck::Wrong => Some("Your password is incorrect"),
        sign_in::PasswordCheck::Spent(message) => Some(message),
    })
}

pub async fn email_form(signed_in: SignedIn) -> Answer {
    answer(&signed_in, ChangeEmail::default())
}

pub async fn change_email(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    CsrfForm(form): Fields,
) -> Answer {
    let typed = field(&form, "email_address").trim().to_string();
    let mut errors = FormErrors::default();
    let email = match EmailAddress::parse(&typed) {
        Ok(e) if typed.chars().count() > sign_in::MAX_EMAIL_CHARS => {
            errors.push("email_address", "Email address must be 320 characters or fewer");
            Some(e)
        }
        Ok(e) if e.as_str().eq_ignore_ascii_case(&signed_in.user.email_address) => {
            errors.push("email_address", "That is your email address already");
            None
        }
        Ok(e) => Some(e),
        Err(e) => {
            errors.push("email_address", e.to_string());
            None
        }
    };
    if errors.is_empty() {
        if let Some(problem) = password_problem(&state, &signed_in, &headers, peer, field(&form, "password")).await? {
            errors.push("password", problem);
        }
    }
    let (Some(email), true) = (email, errors.is_empty()) else {
        return answer(&signed_in, ChangeEmail { email_address: typed, errors });
    };
    // Whether another account has the address is said only to whoever
    // can read its inbox (on the link's page), never here.
    second_factor::request_new_email(&state.pool, &signed_in.user, email.as_str(), &state.config.base_url).await?;
    answer(
        &signed_in,
        Notice {
            heading: "Check your email".into(),
            paragraphs: vec![
                format!("We’ve sent a link to {}.", email.as_str()),
                "Use it within 15 minutes to confirm your new email address. Until then, your email address has not changed."
                    .into(),
            ],
            link: Some(("Back to your account".into(), "/user-profile".into())),
        },
    )
}

pub async fn confirm_email(State(state): State<AppState>, signed_in: SignedIn, Path(token): Path<String>) -> Answer {
    match second_factor::confirm_new_email(&state.pool, &signed_in.user.id, &token).await? {
        EmailConfirmation::Changed(email) => {
            tracing::info!(user_id = %signed_in.user.id, "email address changed");
            done(&state, &signed_in, &format!("Your email address is now {email}")).await
        }
        EmailConfirmation::Taken => answer(
            &signed_in,
            Notice {
                heading: "That email address is already in use".into(),
                paragraphs: vec!["Another account has this email address. Your email address has not changed.".into()],
                link: Some(("Back to your account".into(), "/user-profile".into())),
            },
        ),
        EmailConfirmation::Expired => answer(
            &signed_in,
            Notice {
                heading: "The link has expired".into(),
                paragraphs: vec!["Your email address has not changed. You can ask for a new link.".into()],
                link: Some(("Change your email address".into(), "/user-profile/email".into())),
            },
        ),
    }
}

pub async fn mobile_form(signed_in: SignedIn) -> Answer {
    answer(&signed_in, ChangeMobile::default())
}

pub async fn change_mobile(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    CsrfForm(form): Fields,
) -> Answer {
    let typed = field(&form, "mobile_number").trim().to_string();
    let mut errors = FormErrors::default();
    let number = match PhoneNumber::parse(&typed) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push("mobile_number", e.message("Mobile number"));
            None
        }
    };
    if errors.is_empty() {
        if let Some(problem) = password_problem(&state, &signed_in, &headers, peer, field(&form, "password")).await? {
            errors.push("password", problem);
        }
    }
    let (Some(number), true) = (number, errors.is_empty()) else {
        return answer(&signed_in, ChangeMobile { mobile_number: typed, errors });
    };
    second_factor::request_new_mobile(&state.pool, &state.secrets, &signed_in.user, number.as_str()).await?;
    Ok(found("/user-profile/mobile-number/confirm"))
}

pub async fn confirm_mobile_form(signed_in: SignedIn) -> Answer {
    answer(&signed_in, ConfirmMobile::default())
}

pub async fn confirm_mobile(State(state): State<AppState>, signed_in: SignedIn, CsrfForm(form): Fields) -> Answer {
    let typed = field(&form, "code").to_string();
    match second_factor::confirm_new_mobile(&state.pool, &state.secrets, &signed_in.user.id, &typed).await? {
        Some(CodeCheck::Right { .. }) => {
            tracing::info!(user_id = %signed_in.user.id, "mobile number changed");
            done(&state, &signed_in, "Your mobile number has been changed").await
        }
        // No new number waiting is an expired code too: ask for another.
        other => {
            let mut errors = FormErrors::default();
            let message = other.unwrap_or(CodeCheck::Expired).message("your text message code").unwrap_or_default();
            errors.push("code", message);
            answer(&signed_in, ConfirmMobile { code: typed, errors })
        }
    }
}

pub async fn password_form(signed_in: SignedIn) -> Answer {
    answer(&signed_in, ChangePassword::default())
}

/// A new password ends every other session of the user (this one goes on).
pub async fn change_password(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    CsrfForm(form): Fields,
) -> Answer {
    let new_password = field(&form, "new_password").to_string();
    let mut errors = FormErrors::default();
    if let Some(problem) = password_problem(&state, &signed_in, &headers, peer, field(&form, "old_password")).await? {
        errors.push("old_password", problem);
    }
    if let Some(problem) = passwords::new_password_problem(&new_password) {
        errors.push("new_password", problem);
    }
    if !errors.is_empty() {
        return answer(&signed_in, ChangePassword { errors });
    }
    let hash = sign_in::hash_new_password(&state, new_password).await?;
    store::set_user_password(&state.pool, &signed_in.user.id, &hash, &signed_in.digest).await?;
    tracing::info!(user_id = %signed_in.user.id, "password changed; every other session ended");
    done(&state, &signed_in, "Your password has been changed").await
}

pub async fn method_form(State(state): State<AppState>, signed_in: SignedIn) -> Answer {
    let checked = signed_in.user.auth_type.as_str().to_string();
    let (has_mobile, has_keys) = second_factor::method_choices(&state.pool, &signed_in.user).await?;
    answer(&signed_in, ChangeSignInMethod { checked, has_mobile, has_keys, errors: FormErrors::default() })
}

pub async fn change_method(State(state): State<AppState>, signed_in: SignedIn, CsrfForm(form): Fields) -> Answer {
    let chosen = field(&form, "sign_in_method");
    match second_factor::choose_method(&state.pool, &signed_in.user, chosen).await? {
        Ok(method) => {
            tracing::info!(user_id = %signed_in.user.id, method = method.as_str(), "sign-in method changed");
            done(&state, &signed_in, &format!("Your sign-in method is now ‘{}’", method.label())).await
        }
        Err(problem) => {
            let (has_mobile, has_keys) = second_factor::method_choices(&state.pool, &signed_in.user).await?;
            let mut errors = FormErrors::default();
            errors.push("sign_in_method", problem.message());
            answer(&signed_in, ChangeSignInMethod { checked: chosen.to_string(), has_mobile, has_keys, errors })
        }
    }
}
