//! Security keys (migration 0030): the keys each user registered, and the
//! WebAuthn challenges in progress. `ssr::security_keys` owns the rules.

use super::Pool;
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

pub async fn security_keys(pool: &Pool, user_id: &str) -> anyhow::Result<Vec<SecurityKeyRow>> {
    sqlx::query_as(
        "SELECT id, name, credential_id, credential, created_at, last_used_at FROM security_keys
         WHERE user_id = ? ORDER BY created_at, id",
    )
    .bind(user_id)
    .fetch_all(&pool.db)
    .await
    .context("could not list security keys")
}

/// Stores a key the user just registered: `false` when its credential is
/// registered already (to anyone).
pub async fn add_security_key(
    pool: &Pool,
    user_id: &str,
    name: &str,
    credential_id: &str,
    credential: &str,
) -> anyhow::Result<bool> {
    let added = sqlx::query(
        "INSERT INTO security_keys (id, user_id, name, credential_id, credential, created_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (credential_id) DO NOTHING",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(user_id)
    .bind(name)
    .bind(credential_id)
    .bind(credential)
    .bind(clock::now())
    .execute(&pool.db)
    .await
    .context("could not store a security key")?;
    Ok(added.rows_affected() == 1)
}

/// A key's credential after it signed in (its counter moves on).
pub async fn record_security_key_use(pool: &Pool, id: &str, credential: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE security_keys SET credential = ?, last_used_at = ? WHERE id = ?")
        .bind(credential)
        .bind(clock::now())
        .bind(id)
        .execute(&pool.db)
        .await
        .context("could not record a security key's use")?;
    Ok(())
}

/// Renames one of the user's keys: `false` when they have no such key.
pub async fn rename_security_key(pool: &Pool, user_id: &str, id: &str, name: &str) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE security_keys SET name = ? WHERE id = ? AND user_id = ?")
        .bind(name)
        .bind(id)
        .bind(user_id)
        .execute(&pool.db)
        .await
        .context("could not rename a security key")?;
    Ok(done.rows_affected() == 1)
}

/// Deletes one of the user's keys; a user who signed in with keys and has
/// none left signs in with an email link or code from now on. `None`
/// when they have no such key, else whether the method changed.
pub async fn delete_security_key(pool: &Pool, user_id: &str, id: &str) -> anyhow::Result<Option<bool>> {
    let mut tx = pool.begin_write().await?;
    let deleted = sqlx::query("DELETE FROM security_keys WHERE id = ? AND user_id = ?")
        .bind(id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if deleted.rows_affected() != 1 {
        return Ok(None);
    }
    let changed = sqlx::query(
        "UPDATE users SET auth_type = 'email_auth' WHERE id = ? AND auth_type = 'webauthn_auth'
         AND NOT EXISTS (SELECT 1 FROM security_keys WHERE user_id = ?)",
    )
    .bind(user_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await.context("could not delete a security key")?;
    Ok(Some(changed.rows_affected() == 1))
}

/// Stores a challenge in progress (webauthn-rs's state as JSON); any
/// earlier one of the user's for the same purpose stops working.
pub async fn create_webauthn_challenge(
    pool: &Pool,
    user_id: &str,
    purpose: &str,
    browser_digest: Option<&str>,
    state: &str,
) -> anyhow::Result<()> {
    let now = clock::now();
    let mut tx = pool.begin_write().await?;
    sqlx::query("UPDATE webauthn_challenges SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL")
        .bind(now)
        .bind(user_id)
        .bind(purpose)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO webauthn_challenges (id, user_id, purpose, browser_digest, state, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(user_id)
    .bind(purpose)
    .bind(browser_digest)
    .bind(state)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await.context("could not store a security key challenge")?;
    Ok(())
}

/// Spends the user's latest unused challenge for `purpose` made since
/// `since` (for a sign-in, by this browser): its state.
pub async fn take_webauthn_challenge(
    pool: &Pool,
    user_id: &str,
    purpose: &str,
    browser_digest: Option<&str>,
    since: Timestamp,
) -> anyhow::Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "UPDATE webauthn_challenges SET used_at = ?
         WHERE id = (SELECT id FROM webauthn_challenges
                     WHERE user_id = ? AND purpose = ? AND used_at IS NULL AND created_at >= ?
                       AND browser_digest IS ?
                     ORDER BY created_at DESC LIMIT 1)
           AND used_at IS NULL
         RETURNING state",
    )
    .bind(clock::now())
    .bind(user_id)
    .bind(purpose)
    .bind(since)
    .bind(browser_digest)
    .fetch_optional(&pool.db)
    .await
    .context("could not take a security key challenge")?;
    Ok(row.map(|(state,)| state))
}
