//! The start-up upgrade of sealed secrets: values sealed before they were
//! bound to their row (`v1.`) are re-sealed bound (`v2.`), once.

use super::backend::{on_backend, Id};
use super::Store;
use crate::ssr::secrets::{SealedFor, Secrets};

/// Re-seals every unbound secret this server key opens; returns how many.
/// A value that does not open (another server key) is left as it is: it
/// would not open bound either.
pub async fn reseal_unbound_secrets(pool: &Store, secrets: &Secrets) -> anyhow::Result<usize> {
    let mut done = 0;
    let keys: Vec<(String, String)> = on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT) AS id, secret_ciphertext FROM api_keys WHERE secret_ciphertext LIKE 'v1.%'"
    )
    .fetch_all(db)
    .await)?;
    for (id, sealed) in keys {
        let Some(plain) = secrets.open_unbound(&sealed) else { continue };
        let bound = secrets.seal(&plain, SealedFor::ApiKeySecret { key_id: &id });
        on_backend!(pool, |db| sqlx::query(
            "UPDATE api_keys SET secret_ciphertext = $1 WHERE id = $2 AND secret_ciphertext = $3"
        )
        .bind(bound)
        .bind(Id(&id))
        .bind(&sealed)
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
        done += 1;
    }
    type Row = (String, String, String, Option<String>, Option<String>);
    let callbacks: Vec<Row> = on_backend!(pool, |db| {
        sqlx::query_as(
            "SELECT CAST(service_id AS TEXT) AS service_id, callback_type, bearer_token_ciphertext,
             signing_secret_ciphertext, previous_signing_secret_ciphertext
             FROM service_callbacks WHERE bearer_token_ciphertext LIKE 'v1.%' OR signing_secret_ciphertext LIKE
             'v1.%' OR previous_signing_secret_ciphertext LIKE 'v1.%'",
        )
        .fetch_all(db)
        .await
    })?;
    for (service_id, callback_type, token, signing, previous) in callbacks {
        let (service_id, callback_type) = (service_id.as_str(), callback_type.as_str());
        let reseal = |value: &str, what: SealedFor<'_>| match secrets.open_unbound(value) {
            Some(plain) => secrets.seal(&plain, what),
            None => value.to_string(),
        };
        let signing_for = SealedFor::SigningSecret { service_id, callback_type };
        on_backend!(pool, |db| sqlx::query(
            "UPDATE service_callbacks SET bearer_token_ciphertext = $1, signing_secret_ciphertext = $2,
             previous_signing_secret_ciphertext = $3 WHERE service_id = $4 AND callback_type = $5",
        )
        .bind(reseal(&token, SealedFor::CallbackToken { service_id, callback_type }))
        .bind(signing.as_deref().map(|s| reseal(s, signing_for)))
        .bind(previous.as_deref().map(|s| reseal(s, signing_for)))
        .bind(Id(service_id))
        .bind(callback_type)
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
        done += 1;
    }
    Ok(done)
}
