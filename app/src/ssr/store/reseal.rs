//! The start-up upgrade of sealed secrets: values sealed before they were
//! bound to their row (`v1.`) are re-sealed bound (`v2.`), once.

use super::Pool;
use crate::ssr::secrets::{SealedFor, Secrets};

/// Re-seals every unbound secret this server key opens; returns how many.
/// A value that does not open (another server key) is left as it is: it
/// would not open bound either.
pub async fn reseal_unbound_secrets(pool: &Pool, secrets: &Secrets) -> anyhow::Result<usize> {
    let mut done = 0;
    let keys: Vec<(String, String)> =
        sqlx::query_as("SELECT id, secret_ciphertext FROM api_keys WHERE secret_ciphertext LIKE 'v1.%'")
            .fetch_all(&pool.db)
            .await?;
    for (id, sealed) in keys {
        let Some(plain) = secrets.open_unbound(&sealed) else { continue };
        let bound = secrets.seal(&plain, SealedFor::ApiKeySecret { key_id: &id });
        sqlx::query("UPDATE api_keys SET secret_ciphertext = ? WHERE id = ? AND secret_ciphertext = ?")
            .bind(bound)
            .bind(&id)
            .bind(&sealed)
            .execute(&pool.db)
            .await?;
        done += 1;
    }
    type Row = (String, String, String, Option<String>, Option<String>);
    let callbacks: Vec<Row> = sqlx::query_as(
        "SELECT service_id, callback_type, bearer_token_ciphertext, signing_secret_ciphertext,
                previous_signing_secret_ciphertext FROM service_callbacks
         WHERE bearer_token_ciphertext LIKE 'v1.%' OR signing_secret_ciphertext LIKE 'v1.%'
            OR previous_signing_secret_ciphertext LIKE 'v1.%'",
    )
    .fetch_all(&pool.db)
    .await?;
    for (service_id, callback_type, token, signing, previous) in callbacks {
        let (service_id, callback_type) = (service_id.as_str(), callback_type.as_str());
        let reseal = |value: &str, what: SealedFor<'_>| match secrets.open_unbound(value) {
            Some(plain) => secrets.seal(&plain, what),
            None => value.to_string(),
        };
        let signing_for = SealedFor::SigningSecret { service_id, callback_type };
        sqlx::query(
            "UPDATE service_callbacks SET bearer_token_ciphertext = ?, signing_secret_ciphertext = ?,
                    previous_signing_secret_ciphertext = ?
             WHERE service_id = ? AND callback_type = ?",
        )
        .bind(reseal(&token, SealedFor::CallbackToken { service_id, callback_type }))
        .bind(signing.as_deref().map(|s| reseal(s, signing_for)))
        .bind(previous.as_deref().map(|s| reseal(s, signing_for)))
        .bind(service_id)
        .bind(callback_type)
        .execute(&pool.db)
        .await?;
        done += 1;
    }
    Ok(done)
}
