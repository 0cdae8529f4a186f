//! The second factor at sign-in, owned here for every entry point: after a
//! right password, a 5-digit code by text message (`sms_auth`) or a link and
//! a code by email (`email_auth`). A code works once, for
//! [`CODE_LIFETIME`], for at most [`MAX_TRIES`] tries, and only in the
//! browser that gave the password (its pending sign-in cookie); a link works
//! once, for the same time, in any browser (people open email elsewhere).
//! A new code replaces the last; a browser may be sent [`MAX_CODES`] codes
//! for one sign-in. The codes are sealed at rest with the server key.
//!
//! Also the confirmations of "Your account": a new email address by a link
//! sent to it, a new mobile number by a code sent to it.

use crate::domain::safe_next_path;
use crate::domain::sign_in_method::{CodeProblem, SecurityCode, SignInMethod};
use crate::ssr::secrets::{SealedFor, Secrets};
use crate::ssr::store::{self, CodePurpose, NewVerifyCode, VerifyCode};
use crate::ssr::{clock, platform_emails, tokens};

/// How long a code or link works.
pub const CODE_LIFETIME: time::Duration = time::Duration::minutes(15);
/// Wrong tries a code takes before it stops working.
pub const MAX_TRIES: i64 = 10;
/// Codes one browser may be sent for one sign-in (the first and resends).
pub const MAX_CODES: i64 = 4;

/// "Sign in to Notify API" (migration 0030).
pub const SIGN_IN_EMAIL_TEMPLATE_ID: &str = "5b1e0c4d-8f7a-4c1e-9a57-2d0e6f3b9c11";
/// "((code)) is your Notify API security code".
pub const SIGN_IN_TEXT_TEMPLATE_ID: &str = "7c2f1d5e-9a8b-4d2f-8b68-3e1f7a4c0d22";
/// "Confirm your new email address".
pub const NEW_EMAIL_TEMPLATE_ID: &str = "9d3a2e6f-0b9c-4e3a-9c79-4f2a8b5d1e33";
/// "… to confirm your new mobile number".
pub const NEW_MOBILE_TEMPLATE_ID: &str = "ae4b3f70-1cad-4f4b-8d8a-5a3b9c6e2f44";

/// Where a code is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
    /// A security key (`ssr::security_keys`): nothing is sent.
    Webauthn,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Webauthn => "webauthn",
        }
    }

    fn of(stored: &str) -> Channel {
        match stored {
            "sms" => Channel::Sms,
            "webauthn" => Channel::Webauthn,
            _ => Channel::Email,
        }
    }

    /// The page that asks for the code.
    pub fn page(self) -> &'static str {
        match self {
            Channel::Email => "/two-factor-email-sent",
            Channel::Sms => "/two-factor-sms",
            Channel::Webauthn => "/two-factor-webauthn",
        }
    }
}

fn sealed_for(id: &str) -> SealedFor<'_> {
    SealedFor::SecurityCode { code_id: id }
}

/// Sends a sign-in code for `user` (whose method has a second factor):
/// the token of the browser's pending sign-in cookie and where the code
/// went. `next` is kept with the code for after it.
pub async fn start_sign_in(
    pool: &store::Store,
    secrets: &Secrets,
    user: &store::User,
    next: Option<&str>,
    base_url: &str,
) -> anyhow::Result<(String, Channel)> {
    let browser = tokens::random_token();
    let channel = send_sign_in_code(pool, secrets, user, &tokens::digest(&browser), next, base_url).await?;
    Ok((browser, channel))
}

async fn send_sign_in_code(
    pool: &store::Store,
    secrets: &Secrets,
    user: &store::User,
    browser_digest: &str,
    next: Option<&str>,
    base_url: &str,
) -> anyhow::Result<Channel> {
    let channel = match (user.auth_type, user.mobile_number.as_deref()) {
        (SignInMethod::SmsAuth, Some(number)) if !number.is_empty() => Channel::Sms,
        (SignInMethod::WebauthnAuth, _) if !store::security_keys(pool, &user.id).await?.is_empty() => Channel::Webauthn,
        // A method with nothing to send to (no number, no key) falls back on
        // email rather than lock the user out.
        _ => Channel::Email,
    };
    if channel == Channel::Webauthn {
        // Nothing to send: the row ties this browser to the sign-in.
        let id = uuid::Uuid::now_v7().to_string();
        store::create_verify_code(
            pool,
            NewVerifyCode {
                id: &id,
                user_id: &user.id,
                purpose: CodePurpose::SignIn,
                channel: channel.as_str(),
                browser_digest: Some(browser_digest),
                sealed_code: None,
                link_digest: None,
                detail: next.filter(|n| safe_next_path(n).is_some()),
            },
        )
        .await?;
        return Ok(channel);
    }
    let id = uuid::Uuid::now_v7().to_string();
    let code = SecurityCode::random();
    let sealed = secrets.seal(code.as_str(), sealed_for(&id));
    let link = (channel == Channel::Email).then(tokens::random_token);
    let link_digest = link.as_deref().map(tokens::digest);
    store::create_verify_code(
        pool,
        NewVerifyCode {
            id: &id,
            user_id: &user.id,
            purpose: CodePurpose::SignIn,
            channel: channel.as_str(),
            browser_digest: Some(browser_digest),
            sealed_code: Some(&sealed),
            link_digest: link_digest.as_deref(),
            detail: next.filter(|n| safe_next_path(n).is_some()),
        },
    )
    .await?;
    match (channel, link) {
        (Channel::Email, Some(link)) => {
            let url = format!("{}/email-auth/{link}", base_url.trim_end_matches('/'));
            let values = [("user_name", user.name.clone()), ("url", url), ("code", code.as_str().to_string())];
            platform_emails::send(pool, SIGN_IN_EMAIL_TEMPLATE_ID, &user.email_address, &values, Default::default())
                .await?;
        }
        _ => {
            let number = user.mobile_number.clone().unwrap_or_default();
            let values = [("code", code.as_str().to_string())];
            platform_emails::send_text(pool, SIGN_IN_TEXT_TEMPLATE_ID, &number, &values).await?;
        }
    }
    Ok(channel)
}

/// What became of "send me another code".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resend {
    Sent(Channel),
    /// [`MAX_CODES`] sent for this sign-in already.
    TooMany,
    /// No sign-in in progress in this browser (or it is too old).
    NoSignIn,
}

/// Sends another code for the browser's sign-in in progress.
pub async fn resend(pool: &store::Store, secrets: &Secrets, browser: &str, base_url: &str) -> anyhow::Result<Resend> {
    let digest = tokens::digest(browser);
    let since = clock::ago(CODE_LIFETIME);
    let Some((latest, sent)) = store::sign_in_code_for_browser(pool, &digest, since).await? else {
        return Ok(Resend::NoSignIn);
    };
    if latest.created_at < since {
        return Ok(Resend::NoSignIn);
    }
    if latest.channel == Channel::Webauthn.as_str() {
        return Ok(Resend::NoSignIn);
    }
    if sent >= MAX_CODES {
        return Ok(Resend::TooMany);
    }
    let Some(user) = store::get_user(pool, &latest.user_id).await? else { return Ok(Resend::NoSignIn) };
    let channel = send_sign_in_code(pool, secrets, &user, &digest, latest.detail.as_deref(), base_url).await?;
    Ok(Resend::Sent(channel))
}

/// What a typed code leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right: the user, and where to go.
    Right { user_id: String, next: Option<String> },
    /// Not a code at all: nothing was tried.
    Problem(CodeProblem),
    /// "Code not found": a try counted.
    Wrong,
    /// Used, replaced or older than [`CODE_LIFETIME`].
    Expired,
    /// [`MAX_TRIES`] wrong tries: the code no longer works.
    TooManyTries,
}

impl CodeCheck {
    /// What the code page says; `None` when signed in.
    pub fn message(&self, thing: &str) -> Option<String> {
        Some(match self {
            CodeCheck::Right { .. } => return None,
            CodeCheck::Problem(p) => p.message(thing),
            CodeCheck::Wrong => "Code not found".to_string(),
            CodeCheck::Expired => "Code has expired".to_string(),
            CodeCheck::TooManyTries => {
                format!("You’ve entered the wrong code {MAX_TRIES} times. Sign in again to get a new code.")
            }
        })
    }
}

/// Checks `code` against the latest one for `purpose`: counts a wrong try,
/// spends a right one (and, for a new mobile number, sets it in the same
/// transaction).
async fn check(
    pool: &store::Store,
    secrets: &Secrets,
    latest: &VerifyCode,
    typed: &str,
    purpose: CodePurpose,
) -> anyhow::Result<CodeCheck> {
    let code = match SecurityCode::parse(typed) {
        Ok(code) => code,
        Err(problem) => return Ok(CodeCheck::Problem(problem)),
    };
    if latest.used_at.is_some() || clock::now() - latest.created_at >= CODE_LIFETIME {
        return Ok(CodeCheck::Expired);
    }
    if latest.tries >= MAX_TRIES {
        return Ok(CodeCheck::TooManyTries);
    }
    let expected = latest.sealed_code.as_deref().and_then(|s| secrets.open(s, sealed_for(&latest.id)));
    let right = expected.is_some_and(|e| tokens::constant_time_eq(&e, code.as_str()));
    if !right {
        let tries = store::record_wrong_code(pool, &latest.id).await?;
        return Ok(if tries >= MAX_TRIES { CodeCheck::TooManyTries } else { CodeCheck::Wrong });
    }
    let spent = match purpose {
        CodePurpose::SignIn => store::use_verify_code(pool, &latest.id).await?,
        _ => store::confirm_account_detail(pool, &latest.id, purpose).await? == store::DetailChange::Changed,
    };
    if !spent {
        return Ok(CodeCheck::Expired);
    }
    Ok(CodeCheck::Right { user_id: latest.user_id.clone(), next: latest.detail.clone() })
}

/// A sign-in waiting for its code.
#[derive(Clone, Debug)]
pub struct PendingSignIn {
    pub channel: Channel,
    pub user_id: String,
    pub email_address: String,
}

/// The sign-in in progress in the browser with pending cookie `browser`
/// (its latest code younger than [`CODE_LIFETIME`]).
pub async fn pending_sign_in(pool: &store::Store, browser: &str) -> anyhow::Result<Option<PendingSignIn>> {
    let since = clock::ago(CODE_LIFETIME);
    let Some((latest, _)) = store::sign_in_code_for_browser(pool, &tokens::digest(browser), since).await? else {
        return Ok(None);
    };
    if latest.created_at < since {
        return Ok(None);
    }
    let Some(user) = store::get_user(pool, &latest.user_id).await? else { return Ok(None) };
    Ok(Some(PendingSignIn {
        channel: Channel::of(&latest.channel),
        user_id: user.id,
        email_address: user.email_address,
    }))
}

/// Ends the browser's sign-in in progress once its security key has
/// answered: the user and where to go. `None` when it was ended already.
pub async fn complete_key_sign_in(
    pool: &store::Store,
    browser: &str,
) -> anyhow::Result<Option<(String, Option<String>)>> {
    let since = clock::ago(CODE_LIFETIME);
    let Some((latest, _)) = store::sign_in_code_for_browser(pool, &tokens::digest(browser), since).await? else {
        return Ok(None);
    };
    if latest.channel != Channel::Webauthn.as_str() || !store::use_verify_code(pool, &latest.id).await? {
        return Ok(None);
    }
    Ok(Some((latest.user_id, latest.detail)))
}

/// Checks a sign-in code typed in the browser with pending cookie
/// `browser`. `None`: no sign-in in progress there.
pub async fn check_sign_in_code(
    pool: &store::Store,
    secrets: &Secrets,
    browser: &str,
    typed: &str,
) -> anyhow::Result<Option<CodeCheck>> {
    let since = clock::ago(CODE_LIFETIME);
    let Some((latest, _)) = store::sign_in_code_for_browser(pool, &tokens::digest(browser), since).await? else {
        return Ok(None);
    };
    if latest.channel == Channel::Webauthn.as_str() {
        // A security key's sign-in takes no code.
        return Ok(None);
    }
    Ok(Some(check(pool, secrets, &latest, typed, CodePurpose::SignIn).await?))
}

/// The sign-in link's code, when it still works.
async fn working_link(pool: &store::Store, token: &str) -> anyhow::Result<Option<VerifyCode>> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let code = store::verify_code_by_link(pool, &tokens::digest(token), CodePurpose::SignIn).await?;
    Ok(code.filter(|c| c.used_at.is_none() && clock::now() - c.created_at < CODE_LIFETIME))
}

/// Whether a sign-in link still works (without spending it).
pub async fn sign_in_link_works(pool: &store::Store, token: &str) -> anyhow::Result<bool> {
    Ok(working_link(pool, token).await?.is_some())
}

/// Uses a sign-in link: the user and where to go, or `None` when the link
/// is unknown, used, replaced or too old.
pub async fn use_sign_in_link(pool: &store::Store, token: &str) -> anyhow::Result<Option<(String, Option<String>)>> {
    let Some(code) = working_link(pool, token).await? else { return Ok(None) };
    if !store::use_verify_code(pool, &code.id).await? {
        return Ok(None);
    }
    Ok(Some((code.user_id, code.detail)))
}

/// Sends a link to `new_email` that makes it `user`'s email address when
/// they use it (signed in as themselves).
pub async fn request_new_email(
    pool: &store::Store,
    user: &store::User,
    new_email: &str,
    base_url: &str,
) -> anyhow::Result<()> {
    let id = uuid::Uuid::now_v7().to_string();
    let link = tokens::random_token();
    let digest = tokens::digest(&link);
    store::create_verify_code(
        pool,
        NewVerifyCode {
            id: &id,
            user_id: &user.id,
            purpose: CodePurpose::NewEmail,
            channel: Channel::Email.as_str(),
            browser_digest: None,
            sealed_code: None,
            link_digest: Some(&digest),
            detail: Some(new_email),
        },
    )
    .await?;
    let url = format!("{}/user-profile/email/confirm/{link}", base_url.trim_end_matches('/'));
    let values = [("user_name", user.name.clone()), ("url", url)];
    platform_emails::send(pool, NEW_EMAIL_TEMPLATE_ID, new_email, &values, Default::default()).await?;
    Ok(())
}

/// The new email address waiting for `user_id` to use its link.
pub async fn pending_new_email(pool: &store::Store, user_id: &str) -> anyhow::Result<Option<String>> {
    Ok(store::latest_verify_code(pool, user_id, CodePurpose::NewEmail)
        .await?
        .filter(|c| c.used_at.is_none() && clock::now() - c.created_at < CODE_LIFETIME)
        .and_then(|c| c.detail))
}

/// What a link to confirm a new email address did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmailConfirmation {
    /// The user's email address is now this.
    Changed(String),
    /// Unknown, another user's, used, replaced or too old.
    Expired,
    /// Another account has the address.
    Taken,
}

/// Uses a link to confirm a new email address, for the signed-in `user_id`
/// only.
pub async fn confirm_new_email(pool: &store::Store, user_id: &str, token: &str) -> anyhow::Result<EmailConfirmation> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(EmailConfirmation::Expired);
    }
    let Some(code) = store::verify_code_by_link(pool, &tokens::digest(token), CodePurpose::NewEmail).await? else {
        return Ok(EmailConfirmation::Expired);
    };
    if code.user_id != user_id || code.used_at.is_some() || clock::now() - code.created_at >= CODE_LIFETIME {
        return Ok(EmailConfirmation::Expired);
    }
    Ok(match store::confirm_account_detail(pool, &code.id, CodePurpose::NewEmail).await? {
        store::DetailChange::Changed => EmailConfirmation::Changed(code.detail.unwrap_or_default()),
        store::DetailChange::Spent => EmailConfirmation::Expired,
        store::DetailChange::Taken => EmailConfirmation::Taken,
    })
}

/// Texts a code to `number` that makes it `user`'s mobile number when they
/// type it.
pub async fn request_new_mobile(
    pool: &store::Store,
    secrets: &Secrets,
    user: &store::User,
    number: &str,
) -> anyhow::Result<()> {
    let id = uuid::Uuid::now_v7().to_string();
    let code = SecurityCode::random();
    let sealed = secrets.seal(code.as_str(), sealed_for(&id));
    store::create_verify_code(
        pool,
        NewVerifyCode {
            id: &id,
            user_id: &user.id,
            purpose: CodePurpose::NewMobile,
            channel: Channel::Sms.as_str(),
            browser_digest: None,
            sealed_code: Some(&sealed),
            link_digest: None,
            detail: Some(number),
        },
    )
    .await?;
    platform_emails::send_text(pool, NEW_MOBILE_TEMPLATE_ID, number, &[("code", code.as_str().to_string())]).await?;
    Ok(())
}

/// Checks the code typed to confirm a new mobile number; a right one makes
/// it the user's. `None`: no new number is waiting.
pub async fn confirm_new_mobile(
    pool: &store::Store,
    secrets: &Secrets,
    user_id: &str,
    typed: &str,
) -> anyhow::Result<Option<CodeCheck>> {
    let Some(latest) = store::latest_verify_code(pool, user_id, CodePurpose::NewMobile).await? else {
        return Ok(None);
    };
    Ok(Some(check(pool, secrets, &latest, typed, CodePurpose::NewMobile).await?))
}

/// Why a user cannot choose a sign-in method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodProblem {
    /// None chosen, or one a user cannot choose (a password alone).
    NoChoice,
    NoMobile,
    NoKeys,
}

impl MethodProblem {
    pub fn message(self) -> &'static str {
        match self {
            MethodProblem::NoChoice => "Select how you want to sign in",
            MethodProblem::NoMobile => "Add a mobile number to your account first",
            MethodProblem::NoKeys => "Register a security key first",
        }
    }
}

/// What `user` could choose besides email: (a mobile number to text, a
/// security key).
pub async fn method_choices(pool: &store::Store, user: &store::User) -> anyhow::Result<(bool, bool)> {
    let has_mobile = user.mobile_number.as_deref().is_some_and(|m| !m.is_empty());
    let has_keys = !store::security_keys(pool, &user.id).await?.is_empty();
    Ok((has_mobile, has_keys))
}

/// Makes the method `chosen` names `user`'s, when it can be: text messages
/// need a number, security keys a key, and a password alone is never
/// chosen here (it is for demos and scripts).
pub async fn choose_method(
    pool: &store::Store,
    user: &store::User,
    chosen: &str,
) -> anyhow::Result<Result<SignInMethod, MethodProblem>> {
    let (has_mobile, has_keys) = method_choices(pool, user).await?;
    let method = match SignInMethod::parse(chosen) {
        Some(SignInMethod::SmsAuth) if !has_mobile => return Ok(Err(MethodProblem::NoMobile)),
        Some(SignInMethod::WebauthnAuth) if !has_keys => return Ok(Err(MethodProblem::NoKeys)),
        Some(m @ (SignInMethod::EmailAuth | SignInMethod::SmsAuth | SignInMethod::WebauthnAuth)) => m,
        Some(SignInMethod::PasswordOnly) | None => return Ok(Err(MethodProblem::NoChoice)),
    };
    store::set_user_sign_in_method(pool, &user.id, method).await?;
    Ok(Ok(method))
}
