//! Security keys (WebAuthn, with webauthn-rs): registering a key on "Your
//! account", and signing in with one after the password. Phishing-resistant:
//! the browser signs for this site's origin only, so a look-alike site
//! cannot replay what it collects. Each challenge works once, for
//! [`CHALLENGE_LIFETIME`]; a sign-in's only in the browser that gave the
//! password. Keys work only where the service is reached at a domain name
//! (WebAuthn refuses IP addresses) over HTTPS or on `localhost`.

use crate::ssr::store::{self, SecurityKeyRow};
use crate::ssr::{clock, tokens};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use webauthn_rs::prelude::{
    PublicKeyCredential, RegisterPublicKeyCredential, SecurityKey, SecurityKeyAuthentication, SecurityKeyRegistration,
    Url, Uuid, Webauthn, WebauthnBuilder,
};

/// How long a registration or sign-in challenge works.
pub const CHALLENGE_LIFETIME: time::Duration = time::Duration::minutes(5);
/// Keys one user may register.
pub const MAX_KEYS: usize = 10;

/// The relying party: this service as WebAuthn knows it, from its public
/// address. `None` where security keys cannot work (an IP address, or
/// plain http anywhere but `localhost`).
pub fn relying_party(base_url: &str, product_name: &str) -> Option<Webauthn> {
    let origin = Url::parse(base_url).ok()?;
    let host = origin.domain()?.to_string();
    if origin.scheme() != "https" && host != "localhost" {
        return None;
    }
    WebauthnBuilder::new(&host, &origin).ok()?.rp_name(product_name).build().ok()
}

fn credential_id(key: &SecurityKey) -> String {
    URL_SAFE_NO_PAD.encode(key.cred_id().as_ref() as &[u8])
}

/// The user's handle the key keeps: their id (a UUID).
fn user_handle(user_id: &str) -> anyhow::Result<Uuid> {
    Ok(Uuid::parse_str(user_id)?)
}

/// Why a key could not be registered or used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyProblem {
    /// No challenge of ours in progress (too old, used, or never asked).
    NoChallenge,
    /// The browser's answer does not verify.
    NotVerified,
    /// The key is registered already.
    Registered,
    /// [`MAX_KEYS`] registered already.
    TooMany,
}

impl KeyProblem {
    pub fn message(self) -> String {
        match self {
            KeyProblem::NoChallenge => "That took too long. Try again.".into(),
            KeyProblem::NotVerified => "There’s a problem with your security key. Try again.".into(),
            KeyProblem::Registered => "That security key is registered already".into(),
            KeyProblem::TooMany => format!("You can register up to {MAX_KEYS} security keys"),
        }
    }
}

/// Begins registering a key for `user`: the options for the browser's
/// `navigator.credentials.create`, as JSON.
pub async fn start_registration(
    pool: &store::Store,
    webauthn: &Webauthn,
    user: &store::User,
) -> anyhow::Result<Result<String, KeyProblem>> {
    let keys = store::security_keys(pool, &user.id).await?;
    if keys.len() >= MAX_KEYS {
        return Ok(Err(KeyProblem::TooMany));
    }
    let exclude = keys
        .iter()
        .filter_map(|k| serde_json::from_str::<SecurityKey>(&k.credential).ok())
        .map(|k| k.cred_id().clone())
        .collect::<Vec<_>>();
    let (options, state) = webauthn.start_securitykey_registration(
        user_handle(&user.id)?,
        &user.email_address,
        &user.name,
        Some(exclude),
        None,
        None,
    )?;
    store::create_webauthn_challenge(pool, &user.id, "register", None, &serde_json::to_string(&state)?).await?;
    Ok(Ok(serde_json::to_string(&options)?))
}

/// Finishes a registration with the browser's answer (JSON): the new key's
/// name.
pub async fn finish_registration(
    pool: &store::Store,
    webauthn: &Webauthn,
    user: &store::User,
    answer: &str,
) -> anyhow::Result<Result<String, KeyProblem>> {
    let since = clock::ago(CHALLENGE_LIFETIME);
    let Some(state) = store::take_webauthn_challenge(pool, &user.id, "register", None, since).await? else {
        return Ok(Err(KeyProblem::NoChallenge));
    };
    let state: SecurityKeyRegistration = serde_json::from_str(&state)?;
    let Ok(answer) = serde_json::from_str::<RegisterPublicKeyCredential>(answer) else {
        return Ok(Err(KeyProblem::NotVerified));
    };
    let key = match webauthn.finish_securitykey_registration(&answer, &state) {
        Ok(key) => key,
        Err(e) => {
            tracing::warn!(target: "security", event = "security_key_refused", error = %e, "a registration did not verify");
            return Ok(Err(KeyProblem::NotVerified));
        }
    };
    let keys = store::security_keys(pool, &user.id).await?;
    if keys.len() >= MAX_KEYS {
        return Ok(Err(KeyProblem::TooMany));
    }
    let name =
        (1..).map(|n| format!("Security key {n}")).find(|n| keys.iter().all(|k| &k.name != n)).unwrap_or_default();
    let stored = serde_json::to_string(&key)?;
    if !store::add_security_key(pool, &user.id, &name, &credential_id(&key), &stored).await? {
        return Ok(Err(KeyProblem::Registered));
    }
    Ok(Ok(name))
}

/// Begins a sign-in with a key, for the browser holding pending sign-in
/// `browser` of `user_id`: the options for `navigator.credentials.get`.
pub async fn start_sign_in(
    pool: &store::Store,
    webauthn: &Webauthn,
    browser: &str,
    user_id: &str,
) -> anyhow::Result<Option<String>> {
    let keys: Vec<SecurityKey> = store::security_keys(pool, user_id)
        .await?
        .iter()
        .filter_map(|k| serde_json::from_str(&k.credential).ok())
        .collect();
    if keys.is_empty() {
        return Ok(None);
    }
    let (options, state) = webauthn.start_securitykey_authentication(&keys)?;
    let digest = tokens::digest(browser);
    store::create_webauthn_challenge(pool, user_id, "sign_in", Some(&digest), &serde_json::to_string(&state)?).await?;
    Ok(Some(serde_json::to_string(&options)?))
}

/// Checks the browser's answer (JSON) to its sign-in challenge; a good one
/// moves the key's counter on.
pub async fn finish_sign_in(
    pool: &store::Store,
    webauthn: &Webauthn,
    browser: &str,
    user_id: &str,
    answer: &str,
) -> anyhow::Result<Result<(), KeyProblem>> {
    let since = clock::ago(CHALLENGE_LIFETIME);
    let digest = tokens::digest(browser);
    let Some(state) = store::take_webauthn_challenge(pool, user_id, "sign_in", Some(&digest), since).await? else {
        return Ok(Err(KeyProblem::NoChallenge));
    };
    let state: SecurityKeyAuthentication = serde_json::from_str(&state)?;
    let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(answer) else {
        return Ok(Err(KeyProblem::NotVerified));
    };
    let result = match webauthn.finish_securitykey_authentication(&answer, &state) {
        Ok(result) => result,
        Err(e) => {
            tracing::warn!(target: "security", event = "security_key_refused", error = %e, "a sign-in did not verify");
            return Ok(Err(KeyProblem::NotVerified));
        }
    };
    let used = URL_SAFE_NO_PAD.encode(result.cred_id().as_ref() as &[u8]);
    let rows: Vec<SecurityKeyRow> = store::security_keys(pool, user_id).await?;
    let Some(row) = rows.iter().find(|k| k.credential_id == used) else {
        return Ok(Err(KeyProblem::NotVerified));
    };
    let mut key: SecurityKey = serde_json::from_str(&row.credential)?;
    key.update_credential(&result);
    store::record_security_key_use(pool, &row.id, &serde_json::to_string(&key)?).await?;
    Ok(Ok(()))
}

pub use webauthn_rs::prelude::Webauthn as RelyingParty;
