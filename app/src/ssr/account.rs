//! A user's own account: "Forgotten your password?" (an email with a link
//! that works once, for [`RESET_LIFETIME`]; using it sets a new password
//! and ends every session of that user). Nothing here tells whether an
//! address has an account.

use crate::ssr::platform_emails;
use crate::ssr::{clock, store, tokens};

/// How long a password reset link works.
pub const RESET_LIFETIME: time::Duration = time::Duration::hours(24);

/// "Reset your password" (migration 0029).
pub const PASSWORD_RESET_TEMPLATE_ID: &str = "0f7b6ba1-45a2-4d5f-9c53-6ec5b2c3e1a7";

/// Sends a password reset link to `email` if it has an account (and does
/// nothing otherwise: the caller answers the same either way).
pub async fn request_reset(pool: &store::Store, email: &str, base_url: &str) -> anyhow::Result<()> {
    let Some(user) = store::find_user_by_email(pool, email).await? else { return Ok(()) };
    let token = tokens::random_token();
    store::create_password_reset(pool, &user.id, &tokens::digest(&token)).await?;
    let url = format!("{}/new-password/{token}", base_url.trim_end_matches('/'));
    let values = [("user_name", user.name.clone()), ("url", url)];
    platform_emails::send(pool, PASSWORD_RESET_TEMPLATE_ID, &user.email_address, &values, Default::default()).await?;
    Ok(())
}

/// What a password reset link leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResetLink {
    Unknown,
    Expired,
    Used,
    /// Good: the user whose password it resets.
    Valid(String),
}

/// The password reset behind a link's `token`.
pub async fn open_reset(pool: &store::Store, token: &str) -> anyhow::Result<ResetLink> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(ResetLink::Unknown);
    }
    Ok(match store::password_reset(pool, &tokens::digest(token)).await? {
        None => ResetLink::Unknown,
        Some((_, _, Some(_))) => ResetLink::Used,
        Some((_, created_at, None)) if clock::now() - created_at >= RESET_LIFETIME => ResetLink::Expired,
        Some((user_id, _, None)) => ResetLink::Valid(user_id),
    })
}

/// Uses the link: the user's password becomes `password_hash`, their other
/// links are spent and every session of theirs ends. `false` when the link
/// was used meanwhile.
pub async fn complete_reset(
    pool: &store::Store,
    token: &str,
    user_id: &str,
    password_hash: &str,
) -> anyhow::Result<bool> {
    store::complete_password_reset(pool, &tokens::digest(token), user_id, password_hash).await
}
