//! Security keys (migration 0030): the keys each user registered, and the
//! WebAuthn challenges in progress. `ssr::security_keys` owns the rules.

use super::backend::{on_backend, on_tx, Id};
use super::Store;
use crate::domain::Timestamp;
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

/// A registered key.
#[derive(Clone, Debug, FromRow)]
pub struct SecurityKeyRow {
    pub id: String,
    pub name: String,
    pub credential_id: String,
    /// webauthn-rs's `SecurityKey`, as JSON.
    pub credential: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

pub async fn security_keys(pool: &Store, user_id: &str) -> anyhow::Result<Vec<SecurityKeyRow>> {
    on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT) AS id, name, credential_id, credential, created_at, last_used_at FROM security_keys
         WHERE user_id = $1 ORDER BY created_at, id",
    )
    .bind(Id(user_id))
    .fetch_all(db)
    .await)
    .context("could not list security keys")
}

/// Stores a key the user just registered: `false` when its credential is
/// registered already (to anyone).
pub async fn add_security_key(
    pool: &Store,
    user_id: &str,
    name: &str,
    credential_id: &str,
    credential: &str,
) -> anyhow::Result<bool> {
    let added = on_backend!(pool, |db| sqlx::query(
        "INSERT INTO security_keys (id, user_id, name, credential_id, credential, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (credential_id) DO NOTHING",
    )
    .bind(Id(&uuid::Uuid::now_v7().to_string()))
    .bind(Id(user_id))
    .bind(name)
    .bind(credential_id)
    .bind(credential)
    .bind(clock::now())
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .context("could not store a security key")?;
    Ok(added == 1)
}

/// A key's credential after it signed in (its counter moves on).
pub async fn record_security_key_use(pool: &Store, id: &str, credential: &str) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("UPDATE security_keys SET credential = $1, last_used_at = $2 WHERE id = $3")
        .bind(credential)
        .bind(clock::now())
        .bind(Id(id))
        .execute(db)
        .await
        .map(|done| done.rows_affected()))
    .context("could not record a security key's use")?;
    Ok(())
}

/// Renames one of the user's keys: `false` when they have no such key.
pub async fn rename_security_key(pool: &Store, user_id: &str, id: &str, name: &str) -> anyhow::Result<bool> {
    let done = on_backend!(pool, |db| sqlx::query("UPDATE security_keys SET name = $1 WHERE id = $2 AND user_id = $3")
        .bind(name)
        .bind(Id(id))
        .bind(Id(user_id))
        .execute(db)
        .await
        .map(|done| done.rows_affected()))
    .context("could not rename a security key")?;
    Ok(done == 1)
}

/// Deletes one of the user's keys; a user who signed in with keys and has
/// none left signs in with an email link or code from now on. `None`
/// when they have no such key, else whether the method changed.
pub async fn delete_security_key(pool: &Store, user_id: &str, id: &str) -> anyhow::Result<Option<bool>> {
    let mut write = pool.begin_write().await?;
    let changed = on_tx!(&mut write, |tx| {
        let deleted = sqlx::query("DELETE FROM security_keys WHERE id = $1 AND user_id = $2")
            .bind(Id(id))
            .bind(Id(user_id))
            .execute(&mut **tx)
            .await?;
        if deleted.rows_affected() != 1 {
            return Ok(None);
        }
        let changed = sqlx::query(
            "UPDATE users SET auth_type = 'email_auth' WHERE id = $1 AND auth_type = 'webauthn_auth'
             AND NOT EXISTS (SELECT 1 FROM security_keys WHERE user_id = $2)",
        )
        .bind(Id(user_id))
        .bind(Id(user_id))
        .execute(&mut **tx)
        .await?;
        changed.rows_affected()
    });
    write.commit().await.context("could not delete a security key")?;
    Ok(Some(changed == 1))
}

/// Stores a challenge in progress (webauthn-rs's state as JSON); any
/// earlier one of the user's for the same purpose stops working.
pub async fn create_webauthn_challenge(
    pool: &Store,
    user_id: &str,
    purpose: &str,
    browser_digest: Option<&str>,
    state: &str,
) -> anyhow::Result<()> {
    let now = clock::now();
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query(
            "UPDATE webauthn_challenges SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(Id(user_id))
        .bind(purpose)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO webauthn_challenges (id, user_id, purpose, browser_digest, state, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Id(&uuid::Uuid::now_v7().to_string()))
        .bind(Id(user_id))
        .bind(purpose)
        .bind(browser_digest)
        .bind(state)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    });
    write.commit().await.context("could not store a security key challenge")?;
    Ok(())
}

/// Spends the user's latest unused challenge for `purpose` made since
/// `since` (for a sign-in, by this browser): its state.
pub async fn take_webauthn_challenge(
    pool: &Store,
    user_id: &str,
    purpose: &str,
    browser_digest: Option<&str>,
    since: Timestamp,
) -> anyhow::Result<Option<String>> {
    let row: Option<(String,)> = on_backend!(pool, |db| sqlx::query_as(
        "UPDATE webauthn_challenges SET used_at = $1
         WHERE id = (SELECT id FROM webauthn_challenges
                     WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL AND created_at >= $4
                       AND browser_digest IS NOT DISTINCT FROM $5
                     ORDER BY created_at DESC LIMIT 1)
           AND used_at IS NULL
         RETURNING state",
    )
    .bind(clock::now())
    .bind(Id(user_id))
    .bind(purpose)
    .bind(since)
    .bind(browser_digest)
    .fetch_optional(db)
    .await)
    .context("could not take a security key challenge")?;
    Ok(row.map(|(state,)| state))
}
