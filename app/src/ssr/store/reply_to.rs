//! A service's reply-to email addresses: a list with one default, chosen
//! per email by id. Deleting archives (the id then no longer sends).

use super::{new_id, Pool};
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

#[derive(Clone, Debug, FromRow, PartialEq, Eq)]
pub struct ReplyTo {
    pub id: String,
    pub email_address: String,
    pub is_default: bool,
}

/// The service's reply-to addresses, the default first, then oldest first.
pub async fn reply_to_addresses(pool: &Pool, service_id: &str) -> anyhow::Result<Vec<ReplyTo>> {
    sqlx::query_as(
        "SELECT id, email_address, is_default FROM service_email_reply_to
         WHERE service_id = ? AND archived = 0 ORDER BY is_default DESC, created_at, id",
    )
    .bind(service_id)
    .fetch_all(&pool.db)
    .await
    .context("could not list reply-to addresses")
}

/// Why an address could not be added or changed.
#[derive(Debug, PartialEq, Eq)]
pub enum ReplyToError {
    /// The service already has this address (case aside).
    Duplicate,
    /// No such address of the service.
    NotFound,
}

/// Adds an address (the service's first is its default whatever was asked);
/// `is_default` makes it the default. Returns its id.
pub async fn add_reply_to(
    pool: &Pool,
    service_id: &str,
    email_address: &str,
    is_default: bool,
    user_id: &str,
) -> anyhow::Result<Result<String, ReplyToError>> {
    let id = new_id();
    let now = clock::now_string();
    let mut tx = pool.db.begin().await?;
    // The write first (a read-then-write transaction cannot wait for
    // another writer): insert unless the address is there already.
    let inserted = sqlx::query(
        "INSERT INTO service_email_reply_to (id, service_id, email_address, is_default, created_at)
         SELECT ?1, ?2, ?3, 0, ?4
         WHERE NOT EXISTS (SELECT 1 FROM service_email_reply_to
                           WHERE service_id = ?2 AND archived = 0 AND lower(email_address) = lower(?3))",
    )
    .bind(&id)
    .bind(service_id)
    .bind(email_address)
    .bind(&now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(Err(ReplyToError::Duplicate));
    }
    let (others,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM service_email_reply_to WHERE service_id = ? AND archived = 0 AND id <> ?")
            .bind(service_id)
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?;
    if is_default || others == 0 {
        make_default(&mut tx, service_id, &id).await?;
    }
    let description = format!("Added the reply-to email address {email_address}");
    super::audit_key_in(&mut tx, service_id, Some(user_id), None, &description).await?;
    tx.commit().await?;
    pool.service_changed(service_id);
    Ok(Ok(id))
}

async fn make_default(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, service_id: &str, id: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE service_email_reply_to SET is_default = 0 WHERE service_id = ? AND is_default = 1")
        .bind(service_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE service_email_reply_to SET is_default = 1 WHERE id = ?").bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Changes an address; `make_default` makes it the default (the default
/// stays the default whatever is asked).
pub async fn update_reply_to(
    pool: &Pool,
    service_id: &str,
    id: &str,
    email_address: &str,
    make_it_default: bool,
    user_id: &str,
) -> anyhow::Result<Result<(), ReplyToError>> {
    let mut tx = pool.db.begin().await?;
    let changed = sqlx::query(
        "UPDATE service_email_reply_to SET email_address = ?1, updated_at = ?2
         WHERE id = ?3 AND service_id = ?4 AND archived = 0
           AND NOT EXISTS (SELECT 1 FROM service_email_reply_to
                           WHERE service_id = ?4 AND archived = 0 AND id <> ?3 AND lower(email_address) = lower(?1))",
    )
    .bind(email_address)
    .bind(clock::now_string())
    .bind(id)
    .bind(service_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        let exists: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM service_email_reply_to WHERE id = ? AND service_id = ? AND archived = 0")
                .bind(id)
                .bind(service_id)
                .fetch_optional(&mut *tx)
                .await?;
        return Ok(Err(if exists.is_some() { ReplyToError::Duplicate } else { ReplyToError::NotFound }));
    }
    if make_it_default {
        make_default(&mut tx, service_id, id).await?;
    }
    let description = format!("Changed a reply-to email address to {email_address}");
    super::audit_key_in(&mut tx, service_id, Some(user_id), None, &description).await?;
    tx.commit().await?;
    pool.service_changed(service_id);
    Ok(Ok(()))
}

/// Deletes (archives) an address that is not the default; `false` when the
/// service has no such address or it is the default.
pub async fn delete_reply_to(pool: &Pool, service_id: &str, id: &str, user_id: &str) -> anyhow::Result<bool> {
    let mut tx = pool.db.begin().await?;
    let changed = sqlx::query(
        "UPDATE service_email_reply_to SET archived = 1, updated_at = ?
         WHERE id = ? AND service_id = ? AND archived = 0 AND is_default = 0",
    )
    .bind(clock::now_string())
    .bind(id)
    .bind(service_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 1 {
        let (address,): (String,) = sqlx::query_as("SELECT email_address FROM service_email_reply_to WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let description = format!("Deleted the reply-to email address {address}");
        super::audit_key_in(&mut tx, service_id, Some(user_id), None, &description).await?;
    }
    tx.commit().await?;
    pool.service_changed(service_id);
    Ok(changed == 1)
}
