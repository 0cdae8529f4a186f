//! The one home of "make a new API key": the key string, its sealed secret
//! and digest, and the audit event. Used by the admin pages and the
//! `create-api-key` command.

use crate::domain::api_key::{self, name_fingerprint, KeyName, KeyType};
use crate::ssr::secrets::Secrets;
use crate::ssr::store::{self, CreateKeyError, Pool};
use rand::Rng;

/// Keys revoked after this moment are still listed and still answer
/// "API key revoked"; older ones are as good as gone.
pub fn revoked_window_start() -> String {
    crate::ssr::clock::ago(time::Duration::days(api_key::REVOKED_KEY_DAYS))
}

/// 30 characters from the OS CSPRNG, uniform over base 62.
fn random_base62() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..api_key::RANDOM_LENGTH).map(|_| api_key::BASE62[rng.gen_range(0..62)] as char).collect()
}

/// Creates a key and returns the whole key string, to be shown once.
pub async fn create(
    pool: &Pool,
    secrets: &Secrets,
    service_id: &str,
    name: &KeyName,
    key_type: KeyType,
    created_by: Option<&str>,
) -> anyhow::Result<Result<String, CreateKeyError>> {
    let key = api_key::key_string(name.as_str(), service_id, &random_base62());
    let secret = api_key::secret_of(&key).expect("a key string ends with its secret");
    let created = store::create_api_key(
        pool,
        store::NewApiKey {
            service_id,
            name: name.as_str(),
            name_fingerprint: &name_fingerprint(name.as_str()),
            key_type: key_type.as_str(),
            secret_ciphertext: &secrets.encrypt(secret),
            secret_digest: &secrets.digest(secret),
            created_by,
        },
    )
    .await?;
    Ok(created.map(|_| key))
}
