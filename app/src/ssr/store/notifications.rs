//! Notifications, their deliveries, the outbox of the built-in provider, and the hub's message log.

use super::backend::{on_backend, on_tx, tx_methods, Dialect, Id};
use super::callbacks::ReceiptTx;
use super::Store;
use crate::domain::simulated::test_key_outcome;
use crate::domain::Timestamp;
use crate::domain::{KeyType, NotificationStatus, TemplateType};
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

/// Live and team notifications of one type sent since `since` (test keys never count).
pub async fn count_sent_since(
    pool: &Store,
    service_id: &str,
    notification_type: TemplateType,
    since: Timestamp,
) -> anyhow::Result<i64> {
    let (n,): (i64,) = on_backend!(pool, |db| sqlx::query_as(
        "SELECT COUNT(*) FROM notifications
         WHERE service_id = $1 AND notification_type = $2 AND key_type IN ('normal', 'team') AND created_at >= $3",
    )
    .bind(Id(service_id))
    .bind(notification_type)
    .bind(since)
    .fetch_one(db)
    .await)?;
    Ok(n)
}

#[derive(Clone, Debug, FromRow)]
pub struct Notification {
    pub id: String,
    pub service_id: String,
    pub api_key_id: Option<String>,
    pub key_type: KeyType,
    pub template_id: String,
    pub template_version: i64,
    pub notification_type: TemplateType,
    pub recipient: String,
    pub client_reference: Option<String>,
    pub personalisation: String,
    pub subject: Option<String>,
    pub body: String,
    pub status: NotificationStatus,
    pub postage: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    /// An email's reply-to address or a text message's sender.
    pub reply_to: Option<String>,
    /// How many times it was offered to its provider before.
    pub provider_attempts: i64,
    /// An email's one-click unsubscribe link, as the send gave it.
    pub one_click_unsubscribe_url: Option<String>,
    /// The job that sent it (a file, or the bulk API).
    pub job_id: Option<String>,
}

/// `SELECT <every notification column> FROM notifications`, for `concat!`.
macro_rules! select_notifications {
    () => {
        "SELECT CAST(id AS TEXT) AS id, CAST(service_id AS TEXT) AS service_id,
                CAST(api_key_id AS TEXT) AS api_key_id, key_type, CAST(template_id AS TEXT) AS template_id,
                template_version, notification_type, recipient, client_reference, personalisation, subject, body,
                status, postage, created_at, sent_at, completed_at, updated_at, reply_to, provider_attempts,
                one_click_unsubscribe_url, CAST(job_id AS TEXT) AS job_id FROM notifications "
    };
}

/// A notification to store (owned, so it can wait in the write batch).
#[derive(Clone, Debug)]
pub struct NewNotification {
    pub id: String,
    pub service_id: String,
    /// The key that sent it; `None` for the emails this service sends its
    /// own users ([`crate::ssr::platform_emails`]).
    pub api_key_id: Option<String>,
    pub key_type: KeyType,
    pub template_id: String,
    pub template_version: i64,
    pub notification_type: TemplateType,
    pub recipient: String,
    pub client_reference: Option<String>,
    pub personalisation: String,
    pub subject: Option<String>,
    pub body: String,
    pub postage: Option<String>,
    pub created_at: Timestamp,
    /// An email's reply-to address.
    pub reply_to: Option<String>,
    /// An email's one-click unsubscribe link (`one_click_unsubscribe_url`).
    pub one_click_unsubscribe_url: Option<String>,
    /// The job that sent it and its row (`None`: the API, or the admin).
    pub job: Option<JobRow>,
}

/// A message's place in its job: the job, and the row of its file (0 is the
/// first row after the header, as Notify's `job_row_number`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRow {
    pub job_id: String,
    pub row_number: i64,
}

/// The test-key delivery's statement (and its plan, checked by a test).
/// SQLite finds the rows by `rowid`, through the index of waiting
/// messages; PostgreSQL by id, skipping rows another instance is finishing.
macro_rules! deliver_test_notifications {
    () => {
        "UPDATE notifications SET
           status = coalesce(test_outcome, 'delivered'),
           sent_at = $1, completed_at = $1, updated_at = $1
         WHERE rowid IN (
           SELECT rowid FROM notifications INDEXED BY notifications_waiting
           WHERE status = 'created' AND key_type = 'test' ORDER BY created_at LIMIT $2)"
    };
    (postgres) => {
        "UPDATE notifications SET
           status = coalesce(test_outcome, 'delivered'),
           sent_at = $1, completed_at = $1, updated_at = $1
         WHERE id IN (
           SELECT id FROM notifications
           WHERE status = 'created' AND key_type = 'test' ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
    };
}

tx_methods! {
    /// The writes of notifications inside a transaction, on either backend.
    pub(super) trait NotificationTx {
        /// Finishes up to `limit` waiting test-key notifications, with
        /// their delivery receipts: how many it finished.
        async fn finish_tests(&mut self, now: Timestamp, limit: i64) -> anyhow::Result<u64> {
            // With no delivery-status callback anywhere there is no receipt to
            // build: the rows are not read back (at full load, reading back 500
            // rows a batch for nothing cost the sends about 7%, bench/callbacks.sh).
            let (any_callback,): (bool,) = sqlx::query_as(
                "SELECT EXISTS (SELECT 1 FROM service_callbacks WHERE callback_type = 'delivery_status')",
            )
            .fetch_one(&mut **self)
            .await?;
            let (sql, returning) = if <Self as Dialect>::POSTGRES {
                (
                    deliver_test_notifications!(postgres),
                    concat!(deliver_test_notifications!(postgres), " RETURNING ", super::status_change_columns!()),
                )
            } else {
                (
                    deliver_test_notifications!(),
                    concat!(deliver_test_notifications!(), " RETURNING ", super::status_change_columns!()),
                )
            };
            if !any_callback {
                let finished = sqlx::query(sql)
                    .bind(now)
                    .bind(limit)
                    .execute(&mut **self)
                    .await
                    .context("could not finish test notifications")?;
                return Ok(finished.rows_affected());
            }
            let finished: Vec<super::StatusChange> = sqlx::query_as(returning)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut **self)
                .await
                .context("could not finish test notifications")?;
            self.queue_receipts(&finished).await?;
            Ok(finished.len() as u64)
        }

        /// Stores notifications, with multi-row inserts.
        async fn insert_notifications(&mut self, batch: &[&NewNotification]) -> anyhow::Result<()> {
            for chunk in batch.chunks(200) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO notifications (id, service_id, api_key_id, key_type, template_id, template_version,
                         notification_type, recipient, client_reference, personalisation, subject, body, status, postage,
                         created_at, reply_to, test_outcome, one_click_unsubscribe_url, job_id, job_row_number) ",
                );
                insert.push_values(chunk, |mut row, n| {
                    row.push_bind(Id(&n.id))
                        .push_bind(Id(&n.service_id))
                        .push_bind(n.api_key_id.as_deref().map(Id))
                        .push_bind(n.key_type)
                        .push_bind(Id(&n.template_id))
                        .push_bind(n.template_version)
                        .push_bind(n.notification_type)
                        .push_bind(&n.recipient)
                        .push_bind(&n.client_reference)
                        .push_bind(&n.personalisation)
                        .push_bind(&n.subject)
                        .push_bind(&n.body)
                        .push_bind(NotificationStatus::Created)
                        .push_bind(&n.postage)
                        .push_bind(n.created_at)
                        .push_bind(&n.reply_to)
                        .push_bind((n.key_type == KeyType::Test).then(|| test_key_outcome(&n.recipient)))
                        .push_bind(&n.one_click_unsubscribe_url)
                        .push_bind(n.job.as_ref().map(|j| Id(&j.job_id)))
                        .push_bind(n.job.as_ref().map(|j| j.row_number));
                });
                insert.build().execute(&mut **self).await.context("could not save notifications")?;
            }
            Ok(())
        }
    }
}

/// Stores a batch of notifications in one transaction (group commit), with
/// multi-row inserts.
pub async fn create_notifications(pool: &Store, batch: &[&NewNotification]) -> anyhow::Result<()> {
    let _turn = pool.write_turn_for_sends().await;
    let mut write = pool.begin_busy_write().await?;
    on_tx!(&mut write, |tx| tx.insert_notifications(batch).await)?;
    write.commit().await.context("could not commit notifications")?;
    Ok(())
}

/// [`create_notifications`], finishing in the same transaction the test-key
/// notifications stored by earlier batches (as [`deliver_test_notifications`]
/// does, at most [`TEST_DELIVERY_CHUNK`]): under load the sends' own commit
/// carries their delivery, instead of a second transaction that every send
/// arriving meanwhile waits behind. Returns how many it finished (their
/// receipts are then waiting for the callback dispatcher). Any error fails
/// the whole transaction, as a bad row does: the caller then stores the
/// batch row by row with [`create_notifications`], and the delivery loop
/// finishes the test notifications. (Carrying on after a failed statement
/// would not be safe: some errors end SQLite's transaction, and the inserts
/// would then commit one by one before the caller stored them again.)
pub async fn create_notifications_finishing_tests(pool: &Store, batch: &[&NewNotification]) -> anyhow::Result<u64> {
    let _turn = pool.write_turn_for_sends().await;
    let mut write = pool.begin_busy_write().await?;
    // In step with the sends: a backlog (a test key's job of 100,000 rows)
    // is the delivery loop's, not a cost every send's commit carries.
    let limit = (2 * batch.len() as i64).clamp(16, TEST_DELIVERY_CHUNK);
    let finished = on_tx!(&mut write, |tx| {
        let finished = tx.finish_tests(clock::now(), limit).await?;
        tx.insert_notifications(batch).await?;
        anyhow::Ok(finished)
    })?;
    write.commit().await.context("could not commit notifications")?;
    Ok(finished)
}

pub async fn get_notification(pool: &Store, service_id: &str, id: &str) -> anyhow::Result<Option<Notification>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Notification>(concat!(
        select_notifications!(),
        "WHERE id = $1 AND service_id = $2"
    ))
    .bind(Id(id))
    .bind(Id(service_id))
    .fetch_optional(db)
    .await)
    .context("could not load a notification")
}

/// Filters for listing notifications (all optional).
#[derive(Clone, Debug, Default)]
pub struct NotificationFilter {
    pub key_type: Option<KeyType>,
    pub template_type: Option<TemplateType>,
    /// Any of these (all when empty).
    pub statuses: Vec<NotificationStatus>,
    pub reference: Option<String>,
    /// Only notifications created before this one (newest first paging).
    pub older_than: Option<String>,
    /// Also messages sent from files and the bulk API (Notify's
    /// `include_jobs`); otherwise only single sends.
    pub include_jobs: bool,
}

/// Newest first, at most `limit`.
pub async fn list_notifications(
    pool: &Store,
    service_id: &str,
    filter: &NotificationFilter,
    limit: i64,
) -> anyhow::Result<Vec<Notification>> {
    let statuses = serde_json::to_string(&filter.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>())?;
    // The statuses come as one JSON array, each backend reading it with its
    // own JSON functions.
    macro_rules! list {
        ($any_status:literal) => {
            concat!(
                select_notifications!(),
                "n
                 WHERE n.service_id = $1
                   AND ($2 IS NULL OR n.key_type = $2)
                   AND ($3 IS NULL OR n.notification_type = $3)
                   AND ",
                $any_status,
                "
                   AND ($5 IS NULL OR n.client_reference = $5)
                   AND ($6 IS NULL OR (n.created_at, n.id) < (SELECT created_at, id FROM notifications WHERE id = $6))
                   AND ($8 OR n.job_id IS NULL)
                 ORDER BY n.created_at DESC, n.id DESC
                 LIMIT $7"
            )
        };
    }
    let sql = if pool.is_postgres() {
        list!("(jsonb_array_length($4::jsonb) = 0 OR n.status IN (SELECT jsonb_array_elements_text($4::jsonb)))")
    } else {
        list!("(json_array_length($4) = 0 OR n.status IN (SELECT value FROM json_each($4)))")
    };
    on_backend!(pool, |db| sqlx::query_as::<_, Notification>(sql)
        .bind(Id(service_id))
        .bind(filter.key_type)
        .bind(filter.template_type)
        .bind(&statuses)
        .bind(&filter.reference)
        .bind(filter.older_than.as_deref().map(Id))
        .bind(limit)
        .bind(filter.include_jobs)
        .fetch_all(db)
        .await)
    .context("could not list notifications")
}

/// Records a final delivery outcome (and the outbox copy for real sends).
pub async fn finish_notification(
    pool: &Store,
    n: &Notification,
    status: NotificationStatus,
    outbox: bool,
) -> anyhow::Result<()> {
    record_delivery_outcomes(pool, &[(n, DeliveryOutcome::Finished { status, outbox })]).await
}

/// Finishes every waiting test-key notification: test keys only pretend,
/// so each gets the outcome chosen when it was stored
/// ([`test_key_outcome`]: `delivered`, except Notify's simulated failures).
/// Returns how many it finished.
///
/// In transactions of at most [`TEST_DELIVERY_CHUNK`], oldest first, each
/// taking its own write turn: one statement for everything waiting held the
/// writer for 30 ms at a time under load (with its delivery receipts), and
/// every send arriving meanwhile waited for it (issue 10's p99).
pub async fn deliver_test_notifications(pool: &Store) -> anyhow::Result<u64> {
    let mut done = 0;
    loop {
        let _turn = pool.write_turn().await;
        let mut write = pool.begin_busy_write().await?;
        // A step at a time, committing early when sends wait for the writer.
        let mut chunk = 0;
        let mut exhausted = false;
        while chunk < TEST_DELIVERY_CHUNK as u64 {
            let step = on_tx!(&mut write, |tx| tx.finish_tests(clock::now(), TEST_DELIVERY_STEP).await)?;
            chunk += step;
            if step < TEST_DELIVERY_STEP as u64 {
                exhausted = true;
                break;
            }
            if pool.sends_waiting() {
                break;
            }
        }
        write.commit().await.context("could not deliver test notifications")?;
        done += chunk;
        if exhausted {
            return Ok(done);
        }
    }
}

/// Test-key notifications finished in one transaction at most.
pub const TEST_DELIVERY_CHUNK: i64 = 500;
/// Test-key notifications finished between looks at whether sends wait.
const TEST_DELIVERY_STEP: i64 = 100;

/// Notifications of live and team keys waiting for a provider, oldest first.
pub async fn pending_real_notifications(pool: &Store, limit: i64) -> anyhow::Result<Vec<Notification>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Notification>(concat!(
        select_notifications!(),
        "WHERE status = 'created' AND key_type != 'test'
           AND (provider_next_attempt_at IS NULL OR provider_next_attempt_at <= $1)
         ORDER BY created_at LIMIT $2"
    ))
    .bind(clock::now())
    .bind(limit)
    .fetch_all(db)
    .await)
    .context("could not load pending notifications")
}

/// What became of a message its provider was offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// A final status (`delivered`, `permanent-failure`, …); `outbox`: keep
    /// the rendered message in the built-in outbox.
    Finished { status: NotificationStatus, outbox: bool },
    /// Accepted by a provider that reports what became of it later (a text
    /// message provider's delivery receipt): `sending` until
    /// [`record_provider_receipt`].
    Sending,
    /// A refusal that may pass (an SMTP relay's 4xx, a relay that could not
    /// be reached): offered again at this time.
    RetryAt(Timestamp),
}

/// Records a round of providers' outcomes in one transaction (one commit,
/// one sync, however many: a transaction each bounded email over SMTP at
/// about 170 a second, bench/email.sh), with the delivery receipts of those
/// that reached a final status. A message no longer waiting is left as it
/// is.
pub async fn record_delivery_outcomes(
    pool: &Store,
    outcomes: &[(&Notification, DeliveryOutcome)],
) -> anyhow::Result<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let now = clock::now();
    let _turn = pool.write_turn().await;
    let mut write = pool.begin_busy_write().await?;
    on_tx!(&mut write, |tx| {
        let mut changes: Vec<super::StatusChange> = Vec::new();
        for (n, outcome) in outcomes {
            match *outcome {
                DeliveryOutcome::Finished { status, outbox } => {
                    // Not again to the status it has: no second receipt.
                    let changed: Vec<super::StatusChange> = sqlx::query_as(concat!(
                        "UPDATE notifications SET status = $1, sent_at = $2, completed_at = $2, updated_at = $2
                         WHERE id = $3 AND status != $1 RETURNING ",
                        super::status_change_columns!()
                    ))
                    .bind(status)
                    .bind(now)
                    .bind(Id(&n.id))
                    .fetch_all(&mut **tx)
                    .await?;
                    changes.extend(changed);
                    if outbox {
                        sqlx::query(
                            "INSERT INTO outbox (notification_id, notification_type, recipient, subject, body,
                                 delivered_at)
                             VALUES ($1, $2, $3, $4, $5, $6)
                             ON CONFLICT (notification_id) DO UPDATE SET notification_type = excluded.notification_type,
                                 recipient = excluded.recipient, subject = excluded.subject, body = excluded.body,
                                 delivered_at = excluded.delivered_at",
                        )
                        .bind(Id(&n.id))
                        .bind(n.notification_type)
                        .bind(&n.recipient)
                        .bind(&n.subject)
                        .bind(&n.body)
                        .bind(now)
                        .execute(&mut **tx)
                        .await?;
                    }
                }
                DeliveryOutcome::Sending => {
                    sqlx::query(
                        "UPDATE notifications SET status = 'sending', sent_at = $1, updated_at = $1
                         WHERE id = $2 AND status = 'created'",
                    )
                    .bind(now)
                    .bind(Id(&n.id))
                    .execute(&mut **tx)
                    .await
                    .context("could not record a notification as sending")?;
                }
                DeliveryOutcome::RetryAt(at) => {
                    sqlx::query(
                        "UPDATE notifications SET provider_attempts = provider_attempts + 1,
                             provider_next_attempt_at = $1, updated_at = $2
                         WHERE id = $3 AND status = 'created'",
                    )
                    .bind(at)
                    .bind(now)
                    .bind(Id(&n.id))
                    .execute(&mut **tx)
                    .await
                    .context("could not schedule a notification's next attempt")?;
                }
            }
        }
        tx.queue_receipts(&changes).await
    })?;
    write.commit().await.context("could not record delivery outcomes")?;
    Ok(())
}

/// What a provider's delivery receipt did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptOutcome {
    /// No message of that type has this id (or it was a test key's).
    Unknown,
    /// The message had its final status already, or was not with the
    /// provider: nothing changed (a late or repeated receipt).
    Ignored(NotificationStatus),
    /// Its status is now this (with its delivery receipt queued when final).
    Updated(NotificationStatus),
}

/// Applies a provider's report on message `id` of type `notification_type`
/// ([`NotificationStatus::after_report`]: a failure after `pending` is
/// temporary; a final status is never changed), in one transaction with
/// the delivery receipt of a final status.
pub async fn record_provider_receipt(
    pool: &Store,
    id: &str,
    notification_type: TemplateType,
    reported: NotificationStatus,
) -> anyhow::Result<ReceiptOutcome> {
    // A reference that is not one of our ids cannot match: not looked up.
    if uuid::Uuid::parse_str(id).is_err() {
        return Ok(ReceiptOutcome::Unknown);
    }
    let now = clock::now();
    let _turn = pool.write_turn().await;
    let mut write = pool.begin_busy_write().await?;
    let outcome = on_tx!(&mut write, |tx| {
        let current: Option<(NotificationStatus,)> = sqlx::query_as(
            "SELECT status FROM notifications WHERE id = $1 AND notification_type = $2 AND key_type != 'test'",
        )
        .bind(Id(id))
        .bind(notification_type)
        .fetch_optional(&mut **tx)
        .await
        .context("could not look up a notification for its receipt")?;
        let Some((current,)) = current else { return Ok(ReceiptOutcome::Unknown) };
        let Some(next) = current.after_report(reported) else { return Ok(ReceiptOutcome::Ignored(current)) };
        // Only from the status just read: a receipt that raced another is
        // applied once.
        let changes: Vec<super::StatusChange> = sqlx::query_as(concat!(
            "UPDATE notifications SET status = $1, updated_at = $2, sent_at = coalesce(sent_at, $2),
                 completed_at = CASE WHEN $3 THEN $2 ELSE completed_at END
             WHERE id = $4 AND status = $5 RETURNING ",
            super::status_change_columns!()
        ))
        .bind(next)
        .bind(now)
        .bind(next.is_final())
        .bind(Id(id))
        .bind(current)
        .fetch_all(&mut **tx)
        .await
        .context("could not record a delivery receipt")?;
        tx.queue_receipts(&changes).await?;
        anyhow::Ok(ReceiptOutcome::Updated(next))
    })?;
    write.commit().await.context("could not record a delivery receipt")?;
    Ok(outcome)
}

/// Messages a provider accepted before `cutoff` with no receipt since
/// (`sending` or `pending`) become `temporary-failure`, as Notify times
/// them out after 72 hours, with their delivery receipts; at most `limit`
/// at once. Returns how many.
pub async fn time_out_awaiting_receipts(pool: &Store, cutoff: Timestamp, limit: i64) -> anyhow::Result<u64> {
    let now = clock::now();
    let _turn = pool.write_turn().await;
    // SQLite is told its index; PostgreSQL skips rows another instance is
    // timing out.
    macro_rules! time_out {
        ($awaiting:literal) => {
            concat!(
                "UPDATE notifications SET status = 'temporary-failure', completed_at = $1, updated_at = $1
                 WHERE id IN (",
                $awaiting,
                ") RETURNING ",
                super::status_change_columns!()
            )
        };
    }
    let sql = if pool.is_postgres() {
        time_out!(
            "SELECT id FROM notifications WHERE status IN ('sending', 'pending') AND sent_at < $2
             ORDER BY sent_at LIMIT $3 FOR UPDATE SKIP LOCKED"
        )
    } else {
        time_out!(
            "SELECT id FROM notifications INDEXED BY notifications_awaiting_receipt
             WHERE status IN ('sending', 'pending') AND sent_at < $2 ORDER BY sent_at LIMIT $3"
        )
    };
    let mut write = pool.begin_busy_write().await?;
    let timed_out = on_tx!(&mut write, |tx| {
        let changes: Vec<super::StatusChange> = sqlx::query_as(sql)
            .bind(now)
            .bind(cutoff)
            .bind(limit)
            .fetch_all(&mut **tx)
            .await
            .context("could not time out messages awaiting receipts")?;
        tx.queue_receipts(&changes).await?;
        anyhow::Ok(changes.len() as u64)
    })?;
    write.commit().await.context("could not time out messages awaiting receipts")?;
    Ok(timed_out)
}

/// A recipient's complaint about an email (reported it as spam).
#[derive(Clone, Debug, FromRow)]
pub struct Complaint {
    pub complaint_type: Option<String>,
    pub complained_at: Timestamp,
}

/// Records a complaint about email `id` (of a live or team key): whether
/// there was such an email.
pub async fn record_complaint(
    pool: &Store,
    id: &str,
    complaint_type: Option<&str>,
    complained_at: Timestamp,
) -> anyhow::Result<bool> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Ok(false);
    }
    let _turn = pool.write_turn().await;
    let complaint_id = super::new_id();
    let done = on_backend!(pool, |db| sqlx::query(
        "INSERT INTO complaints (id, notification_id, service_id, complaint_type, complained_at, created_at)
         SELECT $1, id, service_id, $2, $3, $4 FROM notifications
         WHERE id = $5 AND notification_type = 'email' AND key_type != 'test'",
    )
    .bind(Id(&complaint_id))
    .bind(complaint_type)
    .bind(complained_at)
    .bind(clock::now())
    .bind(Id(id))
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .context("could not record a complaint")?;
    Ok(done == 1)
}

/// The complaints about a service's notification, oldest first.
pub async fn complaints(pool: &Store, service_id: &str, notification_id: &str) -> anyhow::Result<Vec<Complaint>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Complaint>(
        "SELECT complaint_type, complained_at FROM complaints
         WHERE notification_id = $1 AND service_id = $2 ORDER BY complained_at",
    )
    .bind(Id(notification_id))
    .bind(Id(service_id))
    .fetch_all(db)
    .await)
    .context("could not load complaints")
}

#[derive(Clone, Debug, FromRow)]
pub struct OutboxMessage {
    pub notification_id: String,
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
    pub delivered_at: Timestamp,
}

/// The newest email in the outbox to `recipient` (any service's).
pub async fn newest_outbox_message(pool: &Store, recipient: &str) -> anyhow::Result<Option<OutboxMessage>> {
    on_backend!(pool, |db| sqlx::query_as::<_, OutboxMessage>(
        "SELECT CAST(notification_id AS TEXT) AS notification_id, recipient, subject, body, delivered_at FROM outbox
         WHERE recipient = $1 AND notification_type IN ('email', 'sms') ORDER BY delivered_at DESC LIMIT 1",
    )
    .bind(recipient)
    .fetch_optional(db)
    .await)
    .context("could not read the outbox")
}

pub async fn outbox_message(pool: &Store, notification_id: &str) -> anyhow::Result<Option<OutboxMessage>> {
    on_backend!(pool, |db| sqlx::query_as::<_, OutboxMessage>(
        "SELECT CAST(notification_id AS TEXT) AS notification_id, recipient, subject, body, delivered_at FROM outbox
         WHERE notification_id = $1",
    )
    .bind(Id(notification_id))
    .fetch_optional(db)
    .await)
    .context("could not load an outbox message")
}

/// The hub's message log: the last `limit` notifications sent one at a time
/// through the API (not from files, the bulk API or the admin), any key
/// type, with the name of the key that sent each.
#[derive(Clone, Debug, FromRow)]
pub struct LogEntry {
    pub id: String,
    pub recipient: String,
    pub key_name: Option<String>,
    pub client_reference: Option<String>,
    pub notification_type: TemplateType,
    pub created_at: Timestamp,
    pub updated_at: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    pub status: NotificationStatus,
    /// The state of its latest callback event (`pending`, `delivered`,
    /// `failed`) and how many attempts it has had; `None`: no callback.
    pub callback_state: Option<String>,
    pub callback_attempts: Option<i64>,
}

impl LogEntry {
    /// What became of its callback: `sent`, `retrying`, `failed`, `queued`
    /// (not tried yet) or `none`.
    pub fn callback_outcome(&self) -> &'static str {
        match (self.callback_state.as_deref(), self.callback_attempts.unwrap_or(0)) {
            (Some("delivered"), _) => "sent",
            (Some("failed"), _) => "failed",
            (Some(_), 0) => "queued",
            (Some(_), _) => "retrying",
            (None, _) => "none",
        }
    }
}

pub async fn message_log(pool: &Store, service_id: &str, limit: i64) -> anyhow::Result<Vec<LogEntry>> {
    on_backend!(pool, |db| sqlx::query_as::<_, LogEntry>(
        "SELECT CAST(n.id AS TEXT) AS id, n.recipient, k.name AS key_name, n.client_reference, n.notification_type,
                n.created_at, n.updated_at, n.sent_at, n.status, e.state AS callback_state,
                e.attempts AS callback_attempts
         FROM notifications n LEFT JOIN api_keys k ON k.id = n.api_key_id
         LEFT JOIN callback_events e ON e.id = (
           SELECT id FROM callback_events WHERE notification_id = n.id ORDER BY created_at DESC LIMIT 1)
         WHERE n.service_id = $1 AND n.api_key_id IS NOT NULL AND n.job_id IS NULL
         ORDER BY n.created_at DESC, n.id DESC LIMIT $2",
    )
    .bind(Id(service_id))
    .bind(limit)
    .fetch_all(db)
    .await)
    .context("could not load the message log")
}

/// `EXPLAIN QUERY PLAN` of the delivery worker's queries, for the test that
/// keeps them on the index.
#[doc(hidden)]
pub async fn waiting_query_plans(pool: &Store) -> anyhow::Result<Vec<String>> {
    let mut plans = Vec::new();
    for sql in [
        concat!("EXPLAIN QUERY PLAN ", deliver_test_notifications!()),
        "EXPLAIN QUERY PLAN SELECT id FROM notifications WHERE status = 'created' AND key_type != 'test' ORDER BY created_at LIMIT 10",
    ] {
        let db = pool.sqlite().context("a query plan of SQLite's")?;
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(sql).fetch_all(db).await?;
        plans.push(rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; "));
    }
    Ok(plans)
}
