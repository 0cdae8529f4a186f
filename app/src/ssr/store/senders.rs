//! A service's senders of each kind (reply-to email addresses, text message
//! sender IDs): a list with one default, chosen per message by id. Deleting
//! archives (the id then no longer sends).

use super::{new_id, Pool};
use crate::domain::senders::SenderKind;
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

#[derive(Clone, Debug, FromRow, PartialEq, Eq)]
pub struct Sender {
    pub id: String,
    /// The email address, or the sender ID.
    pub value: String,
    pub is_default: bool,
}

/// The service's senders of `kind`, the default first, then oldest first.
pub async fn senders(pool: &Pool, service_id: &str, kind: SenderKind) -> anyhow::Result<Vec<Sender>> {
    sqlx::query_as(
        "SELECT id, value, is_default FROM service_senders
         WHERE service_id = ? AND kind = ? AND archived = 0 ORDER BY is_default DESC, created_at, id",
    )
    .bind(service_id)
    .bind(kind.as_str())
    .fetch_all(&pool.db)
    .await
    .context("could not list senders")
}

/// Why a sender could not be added or changed.
#[derive(Debug, PartialEq, Eq)]
pub enum SenderError {
    /// The service already has this one (case aside).
    Duplicate,
    /// No such sender of the service.
    NotFound,
}

/// Inserts a sender in `tx` (the service's first of its kind is its
/// default whatever was asked); `is_default` makes it the default.
pub(super) async fn insert_sender(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    service_id: &str,
    kind: SenderKind,
    value: &str,
    is_default: bool,
) -> anyhow::Result<Result<String, SenderError>> {
    let id = new_id();
    // The write first (a read-then-write transaction cannot wait for
    // another writer): insert unless the value is there already.
    let inserted = sqlx::query(
        "INSERT INTO service_senders (id, service_id, kind, value, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5
         WHERE NOT EXISTS (SELECT 1 FROM service_senders
                           WHERE service_id = ?2 AND kind = ?3 AND archived = 0 AND lower(value) = lower(?4))",
    )
    .bind(&id)
    .bind(service_id)
    .bind(kind.as_str())
    .bind(value)
    .bind(clock::now())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(Err(SenderError::Duplicate));
    }
    let (others,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM service_senders WHERE service_id = ? AND kind = ? AND archived = 0 AND id <> ?",
    )
    .bind(service_id)
    .bind(kind.as_str())
    .bind(&id)
    .fetch_one(&mut **tx)
    .await?;
    if is_default || others == 0 {
        make_default(tx, service_id, kind, &id).await?;
    }
    Ok(Ok(id))
}

/// Adds a sender, on the audit log. Returns its id.
pub async fn add_sender(
    pool: &Pool,
    service_id: &str,
    kind: SenderKind,
    value: &str,
    is_default: bool,
    user_id: &str,
) -> anyhow::Result<Result<String, SenderError>> {
    let mut tx = pool.begin_write().await?;
    let added = insert_sender(&mut tx, service_id, kind, value, is_default).await?;
    if added.is_ok() {
        let description = format!("Added the {} {value}", kind.noun());
        super::audit_key_in(&mut tx, service_id, Some(user_id), None, &description).await?;
        tx.commit().await?;
        pool.service_changed(service_id);
    }
    Ok(added)
}

async fn make_default(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    service_id: &str,
    kind: SenderKind,
    id: &str,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE service_senders SET is_default = 0 WHERE service_id = ? AND kind = ? AND is_default = 1")
        .bind(service_id)
        .bind(kind.as_str())
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE service_senders SET is_default = 1 WHERE id = ?").bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Changes a sender; `make_it_default` makes it the default (the default
/// stays the default whatever is asked).
pub async fn update_sender(
    pool: &Pool,
    service_id: &str,
    kind: SenderKind,
    id: &str,
    value: &str,
    make_it_default: bool,
    user_id: &str,
) -> anyhow::Result<Result<(), SenderError>> {
    let mut tx = pool.begin_write().await?;
    let changed = sqlx::query(
        "UPDATE service_senders SET value = ?1, updated_at = ?2
         WHERE id = ?3 AND service_id = ?4 AND kind = ?5 AND archived = 0
           AND NOT EXISTS (SELECT 1 FROM service_senders
                           WHERE service_id = ?4 AND kind = ?5 AND archived = 0 AND id <> ?3
                             AND lower(value) = lower(?1))",
    )
    .bind(value)
    .bind(clock::now())
    .bind(id)
    .bind(service_id)
    .bind(kind.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        let exists: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM service_senders WHERE id = ? AND service_id = ? AND kind = ? AND archived = 0",
        )
        .bind(id)
        .bind(service_id)
        .bind(kind.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        return Ok(Err(if exists.is_some() { SenderError::Duplicate } else { SenderError::NotFound }));
    }
    if make_it_default {
        make_default(&mut tx, service_id, kind, id).await?;
    }
    let description = format!("Changed a {} to {value}", kind.noun());
    super::audit_key_in(&mut tx, service_id, Some(user_id), None, &description).await?;
    tx.commit().await?;
    pool.service_changed(service_id);
    Ok(Ok(()))
}

/// Deletes (archives) a sender: not the default, unless the kind's default
/// is optional (letter contact blocks); `false` when the service has no
/// such sender, or it is a default that must stay.
pub async fn delete_sender(
    pool: &Pool,
    service_id: &str,
    kind: SenderKind,
    id: &str,
    user_id: &str,
) -> anyhow::Result<bool> {
    let mut tx = pool.begin_write().await?;
    let changed = sqlx::query(
        "UPDATE service_senders SET archived = 1, updated_at = ?
         WHERE id = ? AND service_id = ? AND kind = ? AND archived = 0 AND (is_default = 0 OR ?)",
    )
    .bind(clock::now())
    .bind(id)
    .bind(service_id)
    .bind(kind.as_str())
    .bind(kind.default_is_optional())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 1 {
        let (value,): (String,) =
            sqlx::query_as("SELECT value FROM service_senders WHERE id = ?").bind(id).fetch_one(&mut *tx).await?;
        let description = format!("Deleted the {} {value}", kind.noun());
        super::audit_key_in(&mut tx, service_id, Some(user_id), None, &description).await?;
        // Templates that chose a deleted contact block have none from now
        // on (as Notify does); their versions keep what they chose.
        if kind == SenderKind::LetterContact {
            sqlx::query("UPDATE templates SET letter_contact_id = NULL WHERE service_id = ? AND letter_contact_id = ?")
                .bind(service_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    pool.service_changed(service_id);
    Ok(changed == 1)
}

/// Leaves the service with no default of `kind` (letter contact blocks:
/// "Blank" becomes the default).
pub async fn clear_default_sender(
    pool: &Pool,
    service_id: &str,
    kind: SenderKind,
    user_id: &str,
) -> anyhow::Result<()> {
    let mut tx = pool.begin_write().await?;
    let changed =
        sqlx::query("UPDATE service_senders SET is_default = 0 WHERE service_id = ? AND kind = ? AND is_default = 1")
            .bind(service_id)
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if changed > 0 {
        let description = format!("Made a blank {} the default", kind.noun());
        super::audit_key_in(&mut tx, service_id, Some(user_id), None, &description).await?;
    }
    tx.commit().await?;
    pool.service_changed(service_id);
    Ok(())
}
