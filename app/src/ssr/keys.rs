//! The one home of "make a new API key": the trial-mode rule, the key
//! string, its sealed secret and digest, and the audit event. Used by the
//! admin pages, the `create-api-key` command and the tests.

use crate::domain::api_key::{self, name_fingerprint, KeyLifetime, KeyName, KeyType};
use crate::domain::Timestamp;
use crate::ssr::secrets::Secrets;
use crate::ssr::store::{self, CreateKeyError, Store};
use rand::Rng;

/// Keys revoked after this moment are still listed and still answer
/// "API key revoked"; older ones are as good as gone.
pub fn revoked_window_start() -> Timestamp {
    crate::ssr::clock::ago(time::Duration::days(api_key::REVOKED_KEY_DAYS))
}

/// Where a key stands, from its `expiry_date` (when it was revoked) and its
/// `expires_at` (when it stops working on its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    Active,
    /// Past its expiry: "API key expired" to the API.
    Expired,
    /// Revoked within the last 7 days: listed greyed, "API key revoked" to
    /// the API.
    RecentlyRevoked,
    /// Revoked longer ago: as good as gone.
    Forgotten,
}

/// The one answer to "may this key be used".
pub fn key_state(expiry_date: Option<Timestamp>, expires_at: Option<Timestamp>) -> KeyState {
    match expiry_date {
        None if expires_at.is_some_and(|at| at <= crate::ssr::clock::now()) => KeyState::Expired,
        None => KeyState::Active,
        Some(d) if d > revoked_window_start() => KeyState::RecentlyRevoked,
        Some(_) => KeyState::Forgotten,
    }
}

/// 30 characters from the OS CSPRNG, uniform over base 62.
fn random_base62() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..api_key::RANDOM_LENGTH).map(|_| api_key::BASE62[rng.gen_range(0..62)] as char).collect()
}

/// A new key: its id, and the whole key string, to be shown once.
pub struct CreatedKey {
    pub id: String,
    pub key: String,
}

/// Why a key was not made.
#[derive(Debug, PartialEq, Eq)]
pub enum NotCreated {
    /// An unrevoked key of the service already has this name.
    DuplicateName,
    /// A service in trial mode may not have live keys
    /// ([`api_key::type_allowed`]).
    LiveKeyInTrialMode,
    /// Longer than the service allows its keys to live
    /// ([`KeyLifetime::allowed`]).
    LifetimeTooLong,
    NoSuchService,
}

/// Creates a key of `key_type` for the service, unless its trial mode or a
/// key of the same name forbids it.
pub async fn create(
    pool: &Store,
    secrets: &Secrets,
    service_id: &str,
    name: &KeyName,
    key_type: KeyType,
    lifetime: KeyLifetime,
    created_by: Option<&str>,
) -> anyhow::Result<Result<CreatedKey, NotCreated>> {
    let Some(service) = store::get_service(pool, service_id).await? else { return Ok(Err(NotCreated::NoSuchService)) };
    if !api_key::type_allowed(service.restricted, key_type) {
        return Ok(Err(NotCreated::LiveKeyInTrialMode));
    }
    if !lifetime.allowed(service.max_key_lifetime_days) {
        return Ok(Err(NotCreated::LifetimeTooLong));
    }
    let fresh = FreshKey::new(secrets, service_id, name.as_str(), lifetime);
    let created = store::create_api_key(pool, fresh.row(service_id, key_type, created_by)).await?;
    Ok(match created {
        Ok(id) => Ok(CreatedKey { id, key: fresh.key }),
        Err(CreateKeyError::DuplicateName) => Err(NotCreated::DuplicateName),
    })
}

/// A new key string with what the store keeps of it.
struct FreshKey {
    key: String,
    name: String,
    fingerprint: String,
    /// The row's id, chosen first: the sealed secret is bound to it.
    id: String,
    secret_ciphertext: String,
    secret_digest: String,
    expires_at: Option<Timestamp>,
}

impl FreshKey {
    fn new(secrets: &Secrets, service_id: &str, name: &str, lifetime: KeyLifetime) -> Self {
        let key = api_key::key_string(name, service_id, &random_base62());
        let secret = api_key::secret_of(&key).expect("a key string ends with its secret");
        let id = store::new_id();
        Self {
            secret_ciphertext: secrets.seal(secret, crate::ssr::secrets::SealedFor::ApiKeySecret { key_id: &id }),
            id,
            secret_digest: secrets.digest(secret),
            expires_at: lifetime.days().map(|d| crate::ssr::clock::now() + time::Duration::days(d)),
            fingerprint: name_fingerprint(name),
            name: name.to_string(),
            key,
        }
    }

    fn row<'a>(&'a self, service_id: &'a str, key_type: KeyType, created_by: Option<&'a str>) -> store::NewApiKey<'a> {
        store::NewApiKey {
            id: &self.id,
            service_id,
            name: &self.name,
            name_fingerprint: &self.fingerprint,
            key_type,
            secret_ciphertext: &self.secret_ciphertext,
            secret_digest: &self.secret_digest,
            created_by,
            expires_at: self.expires_at,
        }
    }
}

/// Rotates a working key in one step: a new key with the same name and
/// type (and the same lifetime, within what the service allows now), shown
/// once; the old key keeps working for `overlap` (never past its own expiry)
/// so traffic can move, then answers "API key expired". `None`: not a
/// working, unrotated key of the service.
pub async fn rotate(
    pool: &Store,
    secrets: &Secrets,
    service_id: &str,
    old_key_id: &str,
    overlap: api_key::Overlap,
    rotated_by: Option<&str>,
) -> anyhow::Result<Option<CreatedKey>> {
    let Some(service) = store::get_service(pool, service_id).await? else { return Ok(None) };
    let Some(old) = store::get_api_key(pool, service_id, old_key_id).await? else { return Ok(None) };
    let clock_now = crate::ssr::clock::now();
    // The old key's lifetime, if it is one of the choices and still allowed.
    let lifetime = match old.expires_at.map(|ends| (ends, old.created_at)) {
        Some((ends, began)) => KeyLifetime::CHOICES
            .into_iter()
            .find(|c| c.days() == Some((ends - began).whole_days()))
            .unwrap_or(KeyLifetime::default_for(service.max_key_lifetime_days)),
        None => KeyLifetime::Never,
    };
    let lifetime = if lifetime.allowed(service.max_key_lifetime_days) {
        lifetime
    } else {
        KeyLifetime::default_for(service.max_key_lifetime_days)
    };
    let overlap_ends = clock_now + overlap.duration();
    let old_ends = match old.expires_at {
        Some(own) if own < overlap_ends => own,
        _ => overlap_ends,
    };
    let fresh = FreshKey::new(secrets, service_id, &old.name, lifetime);
    let rotated =
        store::rotate_api_key(pool, old_key_id, fresh.row(service_id, old.key_type, rotated_by), old_ends).await?;
    Ok(rotated.map(|id| CreatedKey { id, key: fresh.key }))
}

/// A key of the service reported leaked (found at `found_at`, in the
/// reporter's words): revoked if it still worked, and the report recorded on
/// the audit log in the same transaction. Whether it was revoked now;
/// `None`: no such key of the service.
pub async fn revoke_leaked(
    pool: &Store,
    service_id: &str,
    key_id: &str,
    found_at: &str,
) -> anyhow::Result<Option<bool>> {
    let found_at: String =
        found_at.chars().filter(|c| !c.is_control()).take(500).collect::<String>().trim().to_string();
    let place = if found_at.is_empty() { "somewhere not given" } else { found_at.as_str() };
    store::revoke_leaked_key(pool, service_id, key_id, |name, revoked| {
        if revoked {
            format!("API key ‘{name}’ was reported as leaked, found at {place}, and revoked")
        } else {
            format!("API key ‘{name}’ was reported as leaked, found at {place} (it no longer worked)")
        }
    })
    .await
}
