//! Received text messages: each service's inbound number, and the texts
//! sent to it (queued for the service's `inbound_sms` callback as they
//! arrive).

use super::backend::{on_backend, on_tx, Id};
use super::{new_id, SenderTx, Store};
use crate::domain::senders::SenderKind;
use crate::domain::Timestamp;
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

/// Gives a service its inbound number (replacing any it had), which also
/// becomes its default text message sender, as in Notify. `false`: the
/// number is another service's.
pub async fn set_inbound_number(pool: &Store, service_id: &str, number: &str) -> anyhow::Result<bool> {
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query("DELETE FROM inbound_numbers WHERE service_id = $1")
            .bind(Id(service_id))
            .execute(&mut **tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO inbound_numbers (number, service_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(number)
        .bind(Id(service_id))
        .bind(clock::now())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        // Already a sender (set again): made the default; else added as it.
        let existing: Option<(String,)> = sqlx::query_as(
            "SELECT CAST(id AS TEXT) AS id FROM service_senders
             WHERE service_id = $1 AND kind = 'sms_sender' AND archived = FALSE AND value = $2",
        )
        .bind(Id(service_id))
        .bind(number)
        .fetch_optional(&mut **tx)
        .await?;
        if existing.is_none() {
            let _ = tx.insert_sender(service_id, SenderKind::SmsSender, number, true).await?;
        }
    });
    write.commit().await?;
    pool.service_changed(service_id);
    Ok(true)
}

/// The service's inbound number, if it has one.
pub async fn inbound_number(pool: &Store, service_id: &str) -> anyhow::Result<Option<String>> {
    let row: Option<(String,)> =
        on_backend!(pool, |db| sqlx::query_as("SELECT number FROM inbound_numbers WHERE service_id = $1")
            .bind(Id(service_id))
            .fetch_optional(db)
            .await)?;
    Ok(row.map(|(n,)| n))
}

#[derive(Clone, Debug, FromRow, PartialEq, Eq)]
pub struct ReceivedText {
    pub id: String,
    pub service_id: String,
    pub notify_number: String,
    pub user_number: String,
    pub content: String,
    pub created_at: Timestamp,
}

/// Records a text sent to `notify_number` and queues its callback. `None`:
/// no service with the `inbound_sms` permission has that number (the
/// provider is still told it was received, as Notify does).
pub async fn receive_text(
    pool: &Store,
    notify_number: &str,
    user_number: &str,
    content: &str,
    provider_date: Option<&str>,
    provider_reference: Option<&str>,
) -> anyhow::Result<Option<ReceivedText>> {
    let service: Option<(String,)> = on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(n.service_id AS TEXT) FROM inbound_numbers n
         JOIN service_permissions p ON p.service_id = n.service_id AND p.permission = 'inbound_sms'
         WHERE n.number = $1",
    )
    .bind(notify_number)
    .fetch_optional(db)
    .await)?;
    let Some((service_id,)) = service else { return Ok(None) };
    let text = ReceivedText {
        id: new_id(),
        service_id: service_id.clone(),
        notify_number: notify_number.to_string(),
        user_number: user_number.to_string(),
        content: content.to_string(),
        created_at: clock::now(),
    };
    on_backend!(pool, |db| sqlx::query(
        "INSERT INTO inbound_sms (id, service_id, notify_number, user_number, content, created_at, provider_date,
                                  provider_reference)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Id(&text.id))
    .bind(Id(&text.service_id))
    .bind(&text.notify_number)
    .bind(&text.user_number)
    .bind(&text.content)
    .bind(text.created_at)
    .bind(provider_date)
    .bind(provider_reference)
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .context("could not record a received text message")?;
    let sms = super::InboundSms {
        id: text.id.clone(),
        source_number: text.user_number.clone(),
        destination_number: text.notify_number.clone(),
        message: text.content.clone(),
        date_received: text.created_at.text(),
    };
    super::record_inbound_sms(pool, &service_id, &sms).await?;
    Ok(Some(text))
}

/// The service's received texts, newest first: `limit` of them, older than
/// the one with id `older_than` when given (none when it is not the
/// service's).
pub async fn received_texts(
    pool: &Store,
    service_id: &str,
    older_than: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<ReceivedText>> {
    let rows = match older_than {
        None => on_backend!(pool, |db| sqlx::query_as(
            "SELECT CAST(id AS TEXT) AS id, CAST(service_id AS TEXT) AS service_id, notify_number, user_number,
                    content, created_at
             FROM inbound_sms i WHERE i.service_id = $1 ORDER BY i.created_at DESC, i.id DESC LIMIT $2",
        )
        .bind(Id(service_id))
        .bind(limit)
        .fetch_all(db)
        .await),
        Some(id) => on_backend!(pool, |db| sqlx::query_as(
            "SELECT CAST(i.id AS TEXT) AS id, CAST(i.service_id AS TEXT) AS service_id, i.notify_number,
                    i.user_number, i.content, i.created_at
             FROM inbound_sms i, (SELECT created_at, id FROM inbound_sms WHERE id = $2 AND service_id = $1) o
             WHERE i.service_id = $1 AND (i.created_at, i.id) < (o.created_at, o.id)
             ORDER BY i.created_at DESC, i.id DESC LIMIT $3",
        )
        .bind(Id(service_id))
        .bind(Id(id))
        .bind(limit)
        .fetch_all(db)
        .await),
    };
    rows.context("could not read received text messages")
}

/// Deletes the service's received texts from before `before` (the retention
/// of its text messages); returns how many.
pub async fn delete_received_texts_before(pool: &Store, service_id: &str, before: Timestamp) -> anyhow::Result<u64> {
    Ok(on_backend!(pool, |db| sqlx::query("DELETE FROM inbound_sms WHERE service_id = $1 AND created_at < $2")
        .bind(Id(service_id))
        .bind(before)
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?)
}
