//! A service's senders of each kind (reply-to email addresses, text message
//! sender IDs): a list with one default, chosen per message by id. Deleting
//! archives (the id then no longer sends).

use super::backend::{on_backend, on_tx, tx_methods, Id};
use super::{new_id, Store};
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
pub async fn senders(pool: &Store, service_id: &str, kind: SenderKind) -> anyhow::Result<Vec<Sender>> {
    on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT) AS id, value, is_default FROM service_senders
         WHERE service_id = $1 AND kind = $2 AND archived = FALSE ORDER BY is_default DESC, created_at, id",
    )
    .bind(Id(service_id))
    .bind(kind.as_str())
    .fetch_all(db)
    .await)
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

tx_methods! {
    /// Senders written inside a transaction.
    pub(crate) trait SenderTx {
        /// Inserts a sender (the service's first of its kind is its default
        /// whatever was asked); `is_default` makes it the default.
        async fn insert_sender(
            &mut self,
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
                 SELECT $1, $2, $3, $4, $5
                 WHERE NOT EXISTS (SELECT 1 FROM service_senders
                                   WHERE service_id = $2 AND kind = $3 AND archived = FALSE
                                     AND lower(value) = lower($4))",
            )
            .bind(Id(&id))
            .bind(Id(service_id))
            .bind(kind.as_str())
            .bind(value)
            .bind(clock::now())
            .execute(&mut **self)
            .await?
            .rows_affected();
            if inserted == 0 {
                return Ok(Err(SenderError::Duplicate));
            }
            let (others,): (i64,) = sqlx::query_as(
                "SELECT count(*) FROM service_senders WHERE service_id = $1 AND kind = $2 AND archived = FALSE
                 AND id <> $3",
            )
            .bind(Id(service_id))
            .bind(kind.as_str())
            .bind(Id(&id))
            .fetch_one(&mut **self)
            .await?;
            if is_default || others == 0 {
                self.make_default(service_id, kind, &id).await?;
            }
            Ok(Ok(id))
        }

        /// Makes the sender `id` the default of its kind.
        async fn make_default(&mut self, service_id: &str, kind: SenderKind, id: &str) -> anyhow::Result<()> {
            sqlx::query(
                "UPDATE service_senders SET is_default = FALSE
                 WHERE service_id = $1 AND kind = $2 AND is_default = TRUE",
            )
            .bind(Id(service_id))
            .bind(kind.as_str())
            .execute(&mut **self)
            .await?;
            sqlx::query("UPDATE service_senders SET is_default = TRUE WHERE id = $1")
                .bind(Id(id))
                .execute(&mut **self)
                .await?;
            Ok(())
        }
    }
}

/// Adds a sender, on the audit log. Returns its id.
pub async fn add_sender(
    pool: &Store,
    service_id: &str,
    kind: SenderKind,
    value: &str,
    is_default: bool,
    user_id: &str,
) -> anyhow::Result<Result<String, SenderError>> {
    let mut write = pool.begin_write().await?;
    let added = on_tx!(&mut write, |tx| {
        let added = tx.insert_sender(service_id, kind, value, is_default).await?;
        if added.is_ok() {
            let description = format!("Added the {} {value}", kind.noun());
            super::audit_key_in(tx, service_id, Some(user_id), None, &description).await?;
        }
        added
    });
    write.commit().await?;
    if added.is_ok() {
        pool.service_changed(service_id);
    }
    Ok(added)
}

/// Changes a sender; `make_it_default` makes it the default (the default
/// stays the default whatever is asked).
pub async fn update_sender(
    pool: &Store,
    service_id: &str,
    kind: SenderKind,
    id: &str,
    value: &str,
    make_it_default: bool,
    user_id: &str,
) -> anyhow::Result<Result<(), SenderError>> {
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        let changed = sqlx::query(
            "UPDATE service_senders SET value = $1, updated_at = $2
             WHERE id = $3 AND service_id = $4 AND kind = $5 AND archived = FALSE
               AND NOT EXISTS (SELECT 1 FROM service_senders
                               WHERE service_id = $4 AND kind = $5 AND archived = FALSE AND id <> $3
                                 AND lower(value) = lower($1))",
        )
        .bind(value)
        .bind(clock::now())
        .bind(Id(id))
        .bind(Id(service_id))
        .bind(kind.as_str())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if changed == 0 {
            let exists: Option<(i32,)> = sqlx::query_as(
                "SELECT 1 FROM service_senders WHERE id = $1 AND service_id = $2 AND kind = $3 AND archived = FALSE",
            )
            .bind(Id(id))
            .bind(Id(service_id))
            .bind(kind.as_str())
            .fetch_optional(&mut **tx)
            .await?;
            return Ok(Err(if exists.is_some() { SenderError::Duplicate } else { SenderError::NotFound }));
        }
        if make_it_default {
            tx.make_default(service_id, kind, id).await?;
        }
        let description = format!("Changed a {} to {value}", kind.noun());
        super::audit_key_in(tx, service_id, Some(user_id), None, &description).await?;
    });
    write.commit().await?;
    pool.service_changed(service_id);
    Ok(Ok(()))
}

/// Deletes (archives) a sender: not the default, unless the kind's default
/// is optional (letter contact blocks); `false` when the service has no
/// such sender, or it is a default that must stay.
pub async fn delete_sender(
    pool: &Store,
    service_id: &str,
    kind: SenderKind,
    id: &str,
    user_id: &str,
) -> anyhow::Result<bool> {
    let mut write = pool.begin_write().await?;
    let changed = on_tx!(&mut write, |tx| {
        let changed = sqlx::query(
            "UPDATE service_senders SET archived = TRUE, updated_at = $1
             WHERE id = $2 AND service_id = $3 AND kind = $4 AND archived = FALSE AND (is_default = FALSE OR $5)",
        )
        .bind(clock::now())
        .bind(Id(id))
        .bind(Id(service_id))
        .bind(kind.as_str())
        .bind(kind.default_is_optional())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if changed == 1 {
            let (value,): (String,) = sqlx::query_as("SELECT value FROM service_senders WHERE id = $1")
                .bind(Id(id))
                .fetch_one(&mut **tx)
                .await?;
            let description = format!("Deleted the {} {value}", kind.noun());
            super::audit_key_in(tx, service_id, Some(user_id), None, &description).await?;
            // Templates that chose a deleted contact block have none from now
            // on (as Notify does); their versions keep what they chose.
            if kind == SenderKind::LetterContact {
                sqlx::query(
                    "UPDATE templates SET letter_contact_id = NULL WHERE service_id = $1 AND letter_contact_id = $2",
                )
                .bind(Id(service_id))
                .bind(Id(id))
                .execute(&mut **tx)
                .await?;
            }
        }
        changed
    });
    write.commit().await?;
    pool.service_changed(service_id);
    Ok(changed == 1)
}

/// Leaves the service with no default of `kind` (letter contact blocks:
/// "Blank" becomes the default).
pub async fn clear_default_sender(
    pool: &Store,
    service_id: &str,
    kind: SenderKind,
    user_id: &str,
) -> anyhow::Result<()> {
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        let changed = sqlx::query(
            "UPDATE service_senders SET is_default = FALSE WHERE service_id = $1 AND kind = $2 AND is_default = TRUE",
        )
        .bind(Id(service_id))
        .bind(kind.as_str())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if changed > 0 {
            let description = format!("Made a blank {} the default", kind.noun());
            super::audit_key_in(tx, service_id, Some(user_id), None, &description).await?;
        }
    });
    write.commit().await?;
    pool.service_changed(service_id);
    Ok(())
}
