//! Notifications, their deliveries, the outbox of the built-in provider, and the hub's message log.

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
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM notifications
         WHERE service_id = ? AND notification_type = ? AND key_type IN ('normal', 'team') AND created_at >= ?",
    )
    .bind(service_id)
    .bind(notification_type)
    .bind(since)
    .fetch_one(pool.sqlite_only()?)
    .await?;
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
        "SELECT id, service_id, api_key_id, key_type, template_id, template_version, notification_type, recipient,
                client_reference, personalisation, subject, body, status, postage, created_at, sent_at, completed_at,
                updated_at, reply_to, provider_attempts, one_click_unsubscribe_url, job_id FROM notifications "
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
macro_rules! deliver_test_notifications {
    () => {
        "UPDATE notifications SET
           status = coalesce(test_outcome, 'delivered'),
           sent_at = ?1, completed_at = ?1, updated_at = ?1
         WHERE rowid IN (
           SELECT rowid FROM notifications INDEXED BY notifications_waiting
           WHERE status = 'created' AND key_type = 'test' ORDER BY created_at LIMIT ?2)"
    };
}

/// Finishes up to `limit` waiting test-key notifications in `tx`, with
/// their delivery receipts: how many it finished.
async fn finish_tests_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    now: Timestamp,
    limit: i64,
) -> anyhow::Result<u64> {
    // With no delivery-status callback anywhere there is no receipt to
    // build: the rows are not read back (at full load, reading back 500 rows
    // a batch for nothing cost the sends about 7%, bench/callbacks.sh).
    let (any_callback,): (bool,) =
        sqlx::query_as("SELECT EXISTS (SELECT 1 FROM service_callbacks WHERE callback_type = 'delivery_status')")
            .fetch_one(&mut **tx)
            .await?;
    if !any_callback {
        let finished = sqlx::query(deliver_test_notifications!())
            .bind(now)
            .bind(limit)
            .execute(&mut **tx)
            .await
            .context("could not finish test notifications")?;
        return Ok(finished.rows_affected());
    }
    let finished: Vec<super::StatusChange> =
        sqlx::query_as(concat!(deliver_test_notifications!(), " RETURNING ", super::status_change_columns!()))
            .bind(now)
            .bind(limit)
            .fetch_all(&mut **tx)
            .await
            .context("could not finish test notifications")?;
    super::queue_receipts_in(tx, &finished).await?;
    Ok(finished.len() as u64)
}

/// Stores a batch of notifications in one transaction (group commit), with
/// multi-row inserts.
pub async fn create_notifications(pool: &Store, batch: &[&NewNotification]) -> anyhow::Result<()> {
    let _turn = pool.write_turn_for_sends().await;
    let mut tx = pool.begin_write_sqlite().await?;
    insert_notifications(&mut tx, batch).await?;
    tx.commit().await.context("could not commit notifications")?;
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
    let mut tx = pool.begin_write_sqlite().await?;
    // In step with the sends: a backlog (a test key's job of 100,000 rows)
    // is the delivery loop's, not a cost every send's commit carries.
    let limit = (2 * batch.len() as i64).clamp(16, TEST_DELIVERY_CHUNK);
    let finished = finish_tests_in(&mut tx, clock::now(), limit).await?;
    insert_notifications(&mut tx, batch).await?;
    tx.commit().await.context("could not commit notifications")?;
    Ok(finished)
}

pub(super) async fn insert_notifications(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    batch: &[&NewNotification],
) -> anyhow::Result<()> {
    for chunk in batch.chunks(200) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO notifications (id, service_id, api_key_id, key_type, template_id, template_version,
                 notification_type, recipient, client_reference, personalisation, subject, body, status, postage, created_at,
                 reply_to, test_outcome, one_click_unsubscribe_url, job_id, job_row_number) ",
        );
        insert.push_values(chunk, |mut row, n| {
            row.push_bind(&n.id)
                .push_bind(&n.service_id)
                .push_bind(&n.api_key_id)
                .push_bind(n.key_type)
                .push_bind(&n.template_id)
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
                .push_bind(n.job.as_ref().map(|j| &j.job_id))
                .push_bind(n.job.as_ref().map(|j| j.row_number));
        });
        insert.build().execute(&mut **tx).await.context("could not save notifications")?;
    }
    Ok(())
}

pub async fn get_notification(pool: &Store, service_id: &str, id: &str) -> anyhow::Result<Option<Notification>> {
    sqlx::query_as::<_, Notification>(concat!(select_notifications!(), "WHERE id = ? AND service_id = ?"))
        .bind(id)
        .bind(service_id)
        .fetch_optional(pool.sqlite_only()?)
        .await
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
    sqlx::query_as::<_, Notification>(concat!(
        select_notifications!(),
        "n
         WHERE service_id = ?1
           AND (?2 IS NULL OR key_type = ?2)
           AND (?3 IS NULL OR notification_type = ?3)
           AND (json_array_length(?4) = 0 OR status IN (SELECT value FROM json_each(?4)))
           AND (?5 IS NULL OR client_reference = ?5)
           AND (?6 IS NULL OR (created_at, id) < (SELECT created_at, id FROM notifications WHERE id = ?6))
           AND (?8 OR job_id IS NULL)
         ORDER BY created_at DESC, id DESC
         LIMIT ?7"
    ))
    .bind(service_id)
    .bind(filter.key_type)
    .bind(filter.template_type)
    .bind(statuses)
    .bind(&filter.reference)
    .bind(&filter.older_than)
    .bind(limit)
    .bind(filter.include_jobs)
    .fetch_all(pool.sqlite_only()?)
    .await
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
        let mut tx = pool.begin_write_sqlite().await?;
        // A step at a time, committing early when sends wait for the writer.
        let mut chunk = 0;
        let mut exhausted = false;
        while chunk < TEST_DELIVERY_CHUNK as u64 {
            let step = finish_tests_in(&mut tx, clock::now(), TEST_DELIVERY_STEP).await?;
            chunk += step;
            if step < TEST_DELIVERY_STEP as u64 {
                exhausted = true;
                break;
            }
            if pool.sends_waiting() {
                break;
            }
        }
        tx.commit().await.context("could not deliver test notifications")?;
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
    sqlx::query_as::<_, Notification>(concat!(
        select_notifications!(),
        "WHERE status = 'created' AND key_type != 'test'
           AND (provider_next_attempt_at IS NULL OR provider_next_attempt_at <= ?)
         ORDER BY created_at LIMIT ?"
    ))
    .bind(clock::now())
    .bind(limit)
    .fetch_all(pool.sqlite_only()?)
    .await
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
    let mut tx = pool.begin_write_sqlite().await?;
    let mut changes: Vec<super::StatusChange> = Vec::new();
    for (n, outcome) in outcomes {
        match *outcome {
            DeliveryOutcome::Finished { status, outbox } => {
                // Not again to the status it has: no second receipt.
                let changed: Vec<super::StatusChange> = sqlx::query_as(concat!(
                    "UPDATE notifications SET status = ?1, sent_at = ?2, completed_at = ?2, updated_at = ?2
                     WHERE id = ?3 AND status IS NOT ?1 RETURNING ",
                    super::status_change_columns!()
                ))
                .bind(status)
                .bind(now)
                .bind(&n.id)
                .fetch_all(&mut *tx)
                .await?;
                changes.extend(changed);
                if outbox {
                    sqlx::query(
                        "INSERT OR REPLACE INTO outbox (notification_id, notification_type, recipient, subject, body,
                             delivered_at)
                         VALUES (?, ?, ?, ?, ?, ?)",
                    )
                    .bind(&n.id)
                    .bind(n.notification_type)
                    .bind(&n.recipient)
                    .bind(&n.subject)
                    .bind(&n.body)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            DeliveryOutcome::Sending => {
                sqlx::query(
                    "UPDATE notifications SET status = 'sending', sent_at = ?1, updated_at = ?1
                     WHERE id = ?2 AND status = 'created'",
                )
                .bind(now)
                .bind(&n.id)
                .execute(&mut *tx)
                .await
                .context("could not record a notification as sending")?;
            }
            DeliveryOutcome::RetryAt(at) => {
                sqlx::query(
                    "UPDATE notifications SET provider_attempts = provider_attempts + 1, provider_next_attempt_at = ?,
                         updated_at = ?
                     WHERE id = ? AND status = 'created'",
                )
                .bind(at)
                .bind(now)
                .bind(&n.id)
                .execute(&mut *tx)
                .await
                .context("could not schedule a notification's next attempt")?;
            }
        }
    }
    super::queue_receipts_in(&mut tx, &changes).await?;
    tx.commit().await.context("could not record delivery outcomes")?;
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
    let mut tx = pool.begin_write_sqlite().await?;
    let current: Option<(NotificationStatus,)> = sqlx::query_as(
        "SELECT status FROM notifications WHERE id = ? AND notification_type = ? AND key_type != 'test'",
    )
    .bind(id)
    .bind(notification_type)
    .fetch_optional(&mut *tx)
    .await
    .context("could not look up a notification for its receipt")?;
    let Some((current,)) = current else { return Ok(ReceiptOutcome::Unknown) };
    let Some(next) = current.after_report(reported) else { return Ok(ReceiptOutcome::Ignored(current)) };
    let changes: Vec<super::StatusChange> = sqlx::query_as(concat!(
        "UPDATE notifications SET status = ?1, updated_at = ?2, sent_at = coalesce(sent_at, ?2),
             completed_at = CASE WHEN ?3 THEN ?2 ELSE completed_at END
         WHERE id = ?4 AND status = ?5 RETURNING ",
        super::status_change_columns!()
    ))
    .bind(next)
    .bind(now)
    .bind(next.is_final())
    .bind(id)
    .bind(current)
    .fetch_all(&mut *tx)
    .await
    .context("could not record a delivery receipt")?;
    super::queue_receipts_in(&mut tx, &changes).await?;
    tx.commit().await.context("could not record a delivery receipt")?;
    Ok(ReceiptOutcome::Updated(next))
}

/// Messages a provider accepted before `cutoff` with no receipt since
/// (`sending` or `pending`) become `temporary-failure`, as Notify times
/// them out after 72 hours, with their delivery receipts; at most `limit`
/// at once. Returns how many.
pub async fn time_out_awaiting_receipts(pool: &Store, cutoff: Timestamp, limit: i64) -> anyhow::Result<u64> {
    let now = clock::now();
    let _turn = pool.write_turn().await;
    let mut tx = pool.begin_write_sqlite().await?;
    let changes: Vec<super::StatusChange> = sqlx::query_as(concat!(
        "UPDATE notifications SET status = 'temporary-failure', completed_at = ?1, updated_at = ?1
         WHERE id IN (SELECT id FROM notifications INDEXED BY notifications_awaiting_receipt
                      WHERE status IN ('sending', 'pending') AND sent_at < ?2 ORDER BY sent_at LIMIT ?3)
         RETURNING ",
        super::status_change_columns!()
    ))
    .bind(now)
    .bind(cutoff)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
    .context("could not time out messages awaiting receipts")?;
    super::queue_receipts_in(&mut tx, &changes).await?;
    tx.commit().await.context("could not time out messages awaiting receipts")?;
    Ok(changes.len() as u64)
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
    let done = sqlx::query(
        "INSERT INTO complaints (id, notification_id, service_id, complaint_type, complained_at, created_at)
         SELECT ?, id, service_id, ?, ?, ? FROM notifications
         WHERE id = ? AND notification_type = 'email' AND key_type != 'test'",
    )
    .bind(super::new_id())
    .bind(complaint_type)
    .bind(complained_at)
    .bind(clock::now())
    .bind(id)
    .execute(pool.sqlite_only()?)
    .await
    .context("could not record a complaint")?;
    Ok(done.rows_affected() == 1)
}

/// The complaints about a service's notification, oldest first.
pub async fn complaints(pool: &Store, service_id: &str, notification_id: &str) -> anyhow::Result<Vec<Complaint>> {
    sqlx::query_as::<_, Complaint>(
        "SELECT complaint_type, complained_at FROM complaints
         WHERE notification_id = ? AND service_id = ? ORDER BY complained_at",
    )
    .bind(notification_id)
    .bind(service_id)
    .fetch_all(pool.sqlite_only()?)
    .await
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
    sqlx::query_as::<_, OutboxMessage>(
        "SELECT notification_id, recipient, subject, body, delivered_at FROM outbox
         WHERE recipient = ? AND notification_type IN ('email', 'sms') ORDER BY delivered_at DESC LIMIT 1",
    )
    .bind(recipient)
    .fetch_optional(pool.sqlite_only()?)
    .await
    .context("could not read the outbox")
}

pub async fn outbox_message(pool: &Store, notification_id: &str) -> anyhow::Result<Option<OutboxMessage>> {
    sqlx::query_as::<_, OutboxMessage>(
        "SELECT notification_id, recipient, subject, body, delivered_at FROM outbox WHERE notification_id = ?",
    )
    .bind(notification_id)
    .fetch_optional(pool.sqlite_only()?)
    .await
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
    sqlx::query_as::<_, LogEntry>(
        "SELECT n.id, n.recipient, k.name AS key_name, n.client_reference, n.notification_type, n.created_at,
                n.updated_at, n.sent_at, n.status, e.state AS callback_state, e.attempts AS callback_attempts
         FROM notifications n LEFT JOIN api_keys k ON k.id = n.api_key_id
         LEFT JOIN callback_events e ON e.id = (
           SELECT id FROM callback_events WHERE notification_id = n.id ORDER BY created_at DESC LIMIT 1)
         WHERE n.service_id = ? AND n.api_key_id IS NOT NULL AND n.job_id IS NULL
         ORDER BY n.created_at DESC, n.id DESC LIMIT ?",
    )
    .bind(service_id)
    .bind(limit)
    .fetch_all(pool.sqlite_only()?)
    .await
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
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(sql).fetch_all(pool.sqlite_only()?).await?;
        plans.push(rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; "));
    }
    Ok(plans)
}
