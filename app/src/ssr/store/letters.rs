//! Letters as files: precompiled letters' PDFs and the checker's queue, the
//! hidden template they are sent from, and returned letters.

use super::backend::{on_backend, on_tx, Id};
use super::{new_id, NewNotification, Store};
use crate::domain::Timestamp;
use crate::domain::{NotificationStatus, TemplateType};
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

/// The name (and subject) of the hidden template precompiled letters are
/// sent from, as in Notify.
pub const PRECOMPILED_TEMPLATE_NAME: &str = "Pre-compiled PDF";

/// The service's hidden precompiled-letter template, `(id, version)`: made
/// the first time the service sends a precompiled letter.
pub async fn precompiled_template(pool: &Store, service_id: &str) -> anyhow::Result<(String, i64)> {
    let found: Option<(String, i64)> = on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT), version FROM templates WHERE service_id = $1 AND hidden = TRUE AND name = $2
         ORDER BY created_at, id LIMIT 1",
    )
    .bind(Id(service_id))
    .bind(PRECOMPILED_TEMPLATE_NAME)
    .fetch_optional(db)
    .await)?;
    if let Some(found) = found {
        return Ok(found);
    }
    // Two first sends at once may each make one: both are hidden and work
    // alike, and later sends take the first found.
    let id = new_id();
    let now = clock::now();
    let mut write = pool.begin_busy_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query(
            "INSERT INTO templates (id, service_id, name, template_type, subject, content, version, archived,
                 created_at, hidden)
             VALUES ($1, $2, $3, 'letter', $3, '', 1, FALSE, $4, TRUE)",
        )
        .bind(Id(&id))
        .bind(Id(service_id))
        .bind(PRECOMPILED_TEMPLATE_NAME)
        .bind(now)
        .execute(&mut **tx)
        .await
        .context("could not create the precompiled letter template")?;
        sqlx::query(
            "INSERT INTO template_versions (template_id, version, name, template_type, subject, content, created_at)
             VALUES ($1, 1, $2, 'letter', $2, '', $3)",
        )
        .bind(Id(&id))
        .bind(PRECOMPILED_TEMPLATE_NAME)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(|done| done.rows_affected())
    })?;
    write.commit().await?;
    Ok((id, 1))
}

/// Stores a precompiled letter and its PDF in one transaction. The letter
/// waits in `pending-virus-check` until [`record_letter_check`].
pub async fn create_precompiled_letter(pool: &Store, n: &NewNotification, pdf: &[u8]) -> anyhow::Result<()> {
    let mut write = pool.begin_busy_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query(
            "INSERT INTO notifications (id, service_id, api_key_id, key_type, template_id, template_version,
                 notification_type, recipient, client_reference, personalisation, subject, body, status, postage,
                 created_at, reply_to)
             VALUES ($1, $2, $3, $4, $5, $6, 'letter', $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(Id(&n.id))
        .bind(Id(&n.service_id))
        .bind(n.api_key_id.as_deref().map(Id))
        .bind(n.key_type)
        .bind(Id(&n.template_id))
        .bind(n.template_version)
        .bind(&n.recipient)
        .bind(&n.client_reference)
        .bind(&n.personalisation)
        .bind(&n.subject)
        .bind(&n.body)
        .bind(NotificationStatus::PendingVirusCheck)
        .bind(&n.postage)
        .bind(n.created_at)
        .bind(&n.reply_to)
        .execute(&mut **tx)
        .await
        .context("could not save a precompiled letter")?;
        sqlx::query(
            "INSERT INTO letter_pdfs (notification_id, service_id, pdf, created_at, size, test_key)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Id(&n.id))
        .bind(Id(&n.service_id))
        .bind(pdf)
        .bind(n.created_at)
        .bind(pdf.len() as i64)
        .bind(n.key_type == crate::domain::api_key::KeyType::Test)
        .execute(&mut **tx)
        .await
        .context("could not save a letter's PDF")
        .map(|done| done.rows_affected())
    })?;
    write.commit().await?;
    Ok(())
}

/// Bytes of precompiled files the service has stored since `since` with
/// test keys (`test`) or with live and team keys, from the index alone.
pub async fn letter_file_bytes_since(
    pool: &Store,
    service_id: &str,
    test: bool,
    since: Timestamp,
) -> anyhow::Result<i64> {
    // SQLite is told its index (the sum then reads it alone); PostgreSQL
    // sums bigints as `numeric`, so the sum is cast back.
    let sql = if pool.is_postgres() {
        "SELECT CAST(coalesce(sum(size), 0) AS BIGINT) FROM letter_pdfs
         WHERE service_id = $1 AND test_key = $2 AND created_at >= $3"
    } else {
        "SELECT coalesce(sum(size), 0) FROM letter_pdfs INDEXED BY letter_pdfs_daily_bytes
         WHERE service_id = $1 AND test_key = $2 AND created_at >= $3"
    };
    let (bytes,): (i64,) =
        on_backend!(pool, |db| sqlx::query_as(sql).bind(Id(service_id)).bind(test).bind(since).fetch_one(db).await)
            .context("could not count the service's letter files")?;
    Ok(bytes)
}

/// A precompiled letter waiting for its check.
#[derive(Clone, Debug, FromRow)]
pub struct LetterToCheck {
    pub notification_id: String,
    pub service_id: String,
    /// Checks of it that have begun before (see [`begin_letter_check`]).
    pub check_attempts: i64,
}

/// Precompiled letters not checked yet, taking services in turn (each
/// service's oldest first, then each one's second…), so one service sending
/// many hard files does not hold up everyone else's letters. Files are not
/// read here: [`letter_file`] reads each when its check starts.
pub async fn letters_to_check(pool: &Store, limit: i64) -> anyhow::Result<Vec<LetterToCheck>> {
    on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(notification_id AS TEXT) AS notification_id, CAST(service_id AS TEXT) AS service_id,
                check_attempts
         FROM (
             SELECT notification_id, service_id, check_attempts, created_at,
                    row_number() OVER (PARTITION BY service_id ORDER BY check_attempts, created_at) AS turn
             FROM letter_pdfs WHERE checked_at IS NULL) AS waiting
         ORDER BY turn, created_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await)
    .context("could not load letters to check")
}

/// A precompiled letter's file, by notification id.
pub async fn letter_file(pool: &Store, notification_id: &str) -> anyhow::Result<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> =
        on_backend!(pool, |db| sqlx::query_as("SELECT pdf FROM letter_pdfs WHERE notification_id = $1")
            .bind(Id(notification_id))
            .fetch_optional(db)
            .await)
        .context("could not load a letter's file")?;
    Ok(row.map(|(pdf,)| pdf))
}

/// Counts a check of the letter as begun, committed before the check runs:
/// a check that kills whatever runs it is counted all the same.
pub async fn begin_letter_check(pool: &Store, notification_id: &str) -> anyhow::Result<()> {
    let _turn = pool.write_turn().await;
    on_backend!(pool, |db| sqlx::query(
        "UPDATE letter_pdfs SET check_attempts = check_attempts + 1 WHERE notification_id = $1"
    )
    .bind(Id(notification_id))
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .context("could not count a letter check")?;
    Ok(())
}

/// What the checker found in a precompiled letter's PDF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LetterCheck {
    pub page_count: Option<i64>,
    /// Notify's reason (`letter-too-long`, …) when the letter is refused.
    pub invalid_reason: Option<String>,
    /// The pages at fault, 1-based.
    pub invalid_pages: Vec<u32>,
}

/// Records the check: the letter goes on (`created`, for the provider) or
/// stops (`validation-failed`). A letter no longer waiting is left alone.
pub async fn record_letter_check(pool: &Store, notification_id: &str, check: &LetterCheck) -> anyhow::Result<()> {
    let now = clock::now();
    let pages = serde_json::to_string(&check.invalid_pages)?;
    let _turn = pool.write_turn().await;
    let mut write = pool.begin_busy_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query(
            "UPDATE letter_pdfs SET page_count = $1, invalid_reason = $2, invalid_pages = $3, checked_at = $4
             WHERE notification_id = $5",
        )
        .bind(check.page_count)
        .bind(&check.invalid_reason)
        .bind(&pages)
        .bind(now)
        .bind(Id(notification_id))
        .execute(&mut **tx)
        .await?;
        let next = if check.invalid_reason.is_some() {
            "UPDATE notifications SET status = 'validation-failed', completed_at = $1, updated_at = $1
             WHERE id = $2 AND status = 'pending-virus-check'"
        } else {
            "UPDATE notifications SET status = 'created', updated_at = $1 WHERE id = $2 AND status = 'pending-virus-check'"
        };
        sqlx::query(next).bind(now).bind(Id(notification_id)).execute(&mut **tx).await.map(|done| done.rows_affected())
    })?;
    write.commit().await.context("could not record a letter check")?;
    Ok(())
}

/// A precompiled letter's file, and when the checker read it.
#[derive(Clone, Debug, FromRow)]
pub struct PrecompiledFile {
    pub pdf: Vec<u8>,
    pub checked_at: Option<Timestamp>,
}

/// The service's precompiled letter's file (`None`: not a precompiled
/// letter of this service).
pub async fn precompiled_file(
    pool: &Store,
    service_id: &str,
    notification_id: &str,
) -> anyhow::Result<Option<PrecompiledFile>> {
    on_backend!(pool, |db| sqlx::query_as::<_, PrecompiledFile>(
        "SELECT pdf, checked_at FROM letter_pdfs WHERE notification_id = $1 AND service_id = $2",
    )
    .bind(Id(notification_id))
    .bind(Id(service_id))
    .fetch_optional(db)
    .await)
    .context("could not load a letter's PDF")
}

/// What a precompiled letter's check found, without the file (for pages).
pub async fn letter_check(
    pool: &Store,
    service_id: &str,
    notification_id: &str,
) -> anyhow::Result<Option<(Option<i64>, Option<String>, Vec<u32>)>> {
    let row: Option<(Option<i64>, Option<String>, Option<String>)> = on_backend!(pool, |db| sqlx::query_as(
        "SELECT page_count, invalid_reason, invalid_pages FROM letter_pdfs
         WHERE notification_id = $1 AND service_id = $2",
    )
    .bind(Id(notification_id))
    .bind(Id(service_id))
    .fetch_optional(db)
    .await)?;
    Ok(row.map(|(count, reason, pages)| {
        (count, reason, pages.and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_default())
    }))
}

/// Marks the service's letters named by id or by reference as returned
/// (`returned-letter`, which Notify shows as `received`), queueing the
/// returned-letter callback for each. Only letters that were sent can come
/// back: those `sending` or `delivered`. Returns the ids marked.
pub async fn return_letters(
    pool: &Store,
    service_id: &str,
    ids_or_references: &[String],
) -> anyhow::Result<Vec<String>> {
    let wanted = serde_json::to_string(ids_or_references)?;
    let now = clock::now();
    // The ids and references come as one JSON array, each backend reading
    // it with its own JSON functions.
    let sql = if pool.is_postgres() {
        "UPDATE notifications SET status = $1, updated_at = $2
         WHERE service_id = $3 AND notification_type = $4 AND status IN ('sending', 'delivered')
           AND (CAST(id AS TEXT) IN (SELECT jsonb_array_elements_text($5::jsonb))
                OR client_reference IN (SELECT jsonb_array_elements_text($5::jsonb)))
         RETURNING CAST(id AS TEXT)"
    } else {
        "UPDATE notifications SET status = $1, updated_at = $2
         WHERE service_id = $3 AND notification_type = $4 AND status IN ('sending', 'delivered')
           AND (id IN (SELECT value FROM json_each($5)) OR client_reference IN (SELECT value FROM json_each($5)))
         RETURNING id"
    };
    let marked: Vec<(String,)> = on_backend!(pool, |db| sqlx::query_as(sql)
        .bind(NotificationStatus::ReturnedLetter)
        .bind(now)
        .bind(Id(service_id))
        .bind(TemplateType::Letter)
        .bind(&wanted)
        .fetch_all(db)
        .await)
    .context("could not mark letters as returned")?;
    let mut ids = Vec::with_capacity(marked.len());
    for (id,) in marked {
        super::record_returned_letter(pool, service_id, &id).await?;
        ids.push(id);
    }
    Ok(ids)
}
