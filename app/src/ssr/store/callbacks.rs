//! Callback URLs and their sealed bearer tokens, one per kind.

use super::{new_id, Pool};
use crate::domain::CallbackKind;
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

#[derive(Clone, Debug, FromRow)]
pub struct Callback {
    pub id: String,
    pub callback_type: CallbackKind,
    pub url: String,
    pub bearer_token_ciphertext: String,
}

pub async fn callbacks(pool: &Pool, service_id: &str) -> anyhow::Result<Vec<Callback>> {
    sqlx::query_as::<_, Callback>(
        "SELECT id, callback_type, url, bearer_token_ciphertext FROM service_callbacks WHERE service_id = ?",
    )
    .bind(service_id)
    .fetch_all(&pool.db)
    .await
    .context("could not load callbacks")
}

/// The service's callback of `kind`, if it has one.
pub async fn callback(pool: &Pool, service_id: &str, kind: CallbackKind) -> anyhow::Result<Option<Callback>> {
    sqlx::query_as::<_, Callback>(
        "SELECT id, callback_type, url, bearer_token_ciphertext FROM service_callbacks
         WHERE service_id = ? AND callback_type = ?",
    )
    .bind(service_id)
    .bind(kind)
    .fetch_optional(&pool.db)
    .await
    .context("could not load a callback")
}

/// Creates or replaces the service's callback of `callback_type`.
pub async fn save_callback(
    pool: &Pool,
    service_id: &str,
    callback_type: CallbackKind,
    url: &str,
    bearer_token_ciphertext: &str,
    user_id: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO service_callbacks (id, service_id, callback_type, url, bearer_token_ciphertext, updated_by, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (service_id, callback_type) DO UPDATE SET
           url = excluded.url, bearer_token_ciphertext = excluded.bearer_token_ciphertext,
           updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(new_id())
    .bind(service_id)
    .bind(callback_type)
    .bind(url)
    .bind(bearer_token_ciphertext)
    .bind(user_id)
    .bind(clock::now_string())
    .execute(&pool.db)
    .await
    .context("could not save a callback")?;
    Ok(())
}

pub async fn delete_callback(pool: &Pool, service_id: &str, callback_type: CallbackKind) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM service_callbacks WHERE service_id = ? AND callback_type = ?")
        .bind(service_id)
        .bind(callback_type)
        .execute(&pool.db)
        .await?;
    Ok(())
}
