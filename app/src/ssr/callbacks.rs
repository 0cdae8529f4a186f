//! The one home of a service's callback settings: saving (the URL's and
//! token's rules, keeping the saved token, a signing secret for a first
//! save), removing, resuming after a pause and a new signing secret. Each
//! writes its audit entry in the change's own transaction. Sending the
//! events is the server's dispatcher's work.

use crate::domain::callback::{BearerToken, CallbackUrl, TOKEN_PLACEHOLDER};
use crate::domain::CallbackKind;
use crate::ssr::secrets::{SealedFor, Secrets};
use crate::ssr::store::{self, Audit, CallbackSettings, Store};
use crate::ssr::{clock, webhooks};

/// What a save asks for, as the form sent it.
pub struct SaveCallback<'a> {
    pub kind: CallbackKind,
    /// Empty: remove the callback.
    pub url: &'a str,
    /// [`TOKEN_PLACEHOLDER`]: keep the saved token.
    pub bearer_token: &'a str,
    /// `NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS`.
    pub allow_private: bool,
}

/// What a save did.
#[derive(Debug, PartialEq, Eq)]
pub enum Saved {
    /// Nothing changed (the same URL with the saved token, or removing a
    /// callback there was not).
    Unchanged,
    Removed,
    /// Saved, with its new signing secret to show once when it had none.
    Saved {
        new_signing_secret: Option<String>,
    },
}

/// Why a save was refused: the field and its message, for each field.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Invalid {
    pub url: Option<String>,
    pub bearer_token: Option<String>,
}

/// Saves (or, with an empty URL, removes) the service's callback of
/// `form.kind` for `user_id`.
pub async fn save(
    pool: &Store,
    secrets: &Secrets,
    service_id: &str,
    user_id: &str,
    form: SaveCallback<'_>,
) -> anyhow::Result<Result<Saved, Invalid>> {
    let kind = form.kind;
    let label = kind.row_label().to_lowercase();
    let raw_url = form.url.trim();
    if raw_url.is_empty() {
        let description = format!("Removed the {label} callback");
        let audit = Audit { user_id: Some(user_id), description: &description };
        let removed = store::delete_callback(pool, service_id, kind, audit).await?;
        return Ok(Ok(if removed { Saved::Removed } else { Saved::Unchanged }));
    }
    let saved = store::callback(pool, service_id, kind).await?;
    let mut invalid = Invalid::default();
    let url = CallbackUrl::parse(raw_url, form.allow_private).map_err(|e| invalid.url = Some(e.to_string())).ok();
    let keep_old = form.bearer_token == TOKEN_PLACEHOLDER && saved.is_some();
    let token_ciphertext = if keep_old {
        saved.as_ref().map(|c| c.bearer_token_ciphertext.clone())
    } else {
        BearerToken::parse(form.bearer_token)
            .map(|t| secrets.seal(t.expose(), SealedFor::CallbackToken { service_id, callback_type: kind.as_str() }))
            .map_err(|e| invalid.bearer_token = Some(e.to_string()))
            .ok()
    };
    let (Some(url), Some(token_ciphertext)) = (url, token_ciphertext) else { return Ok(Err(invalid)) };
    if keep_old && saved.as_ref().is_some_and(|c| c.url == url.as_str()) {
        return Ok(Ok(Saved::Unchanged));
    }
    // A callback's first save (or one saved before signing existed) gets a
    // signing secret, shown this once.
    let new_secret =
        saved.as_ref().is_none_or(|c| c.signing_secret_ciphertext.is_none()).then(webhooks::new_signing_secret);
    let sealed = new_secret
        .as_deref()
        .map(|s| secrets.seal(s, SealedFor::SigningSecret { service_id, callback_type: kind.as_str() }));
    let description = format!(
        "Set the {label} callback to {}{}",
        url.as_str(),
        if keep_old { "" } else { " with a new bearer token" }
    );
    let settings = CallbackSettings {
        url: url.as_str(),
        bearer_token_ciphertext: &token_ciphertext,
        new_signing_secret_ciphertext: sealed.as_deref(),
    };
    let audit = Audit { user_id: Some(user_id), description: &description };
    store::save_callback(pool, service_id, kind, settings, audit).await?;
    Ok(Ok(Saved::Saved { new_signing_secret: new_secret }))
}

/// Sends again after a pause, oldest waiting event first. `false`: no such
/// callback.
pub async fn resume(pool: &Store, service_id: &str, user_id: &str, kind: CallbackKind) -> anyhow::Result<bool> {
    let description = format!("Resumed the {} callback", kind.row_label().to_lowercase());
    store::resume_callback(pool, service_id, kind, Audit { user_id: Some(user_id), description: &description }).await
}

/// A new signing secret, to be shown once; the old one keeps signing beside
/// it for [`webhooks::PREVIOUS_SECRET_HOURS`]. `None`: no such callback.
pub async fn rotate_signing_secret(
    pool: &Store,
    secrets: &Secrets,
    service_id: &str,
    user_id: &str,
    kind: CallbackKind,
) -> anyhow::Result<Option<String>> {
    let secret = webhooks::new_signing_secret();
    let until = clock::now() + time::Duration::hours(webhooks::PREVIOUS_SECRET_HOURS);
    let sealed = secrets.seal(&secret, SealedFor::SigningSecret { service_id, callback_type: kind.as_str() });
    let description = format!("Made a new signing secret for the {} callback", kind.row_label().to_lowercase());
    let audit = Audit { user_id: Some(user_id), description: &description };
    Ok(store::rotate_signing_secret(pool, service_id, kind, &sealed, until, audit).await?.then_some(secret))
}
