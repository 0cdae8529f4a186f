//! Callback URLs with their sealed bearer tokens and signing secrets, one per
//! kind; the outbox of events to deliver to them and every attempt made.

use super::backend::{on_backend, on_tx, tx_methods, Id};
use super::{new_id, Store};
use crate::domain::Timestamp;
use crate::domain::{CallbackKind, NotificationStatus, TemplateType};
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

// Queries on a callback's waiting or failed events say `state != 'delivered'`
// beside the state they want: the per-service index holds only those
// (migration 0017), and SQLite uses a partial index only when the query
// repeats its condition.

/// `next_attempt_at` of a paused callback's events: never due until resumed.
pub const PARKED: Timestamp = Timestamp::NEVER;

/// A notification whose status a write has just set, as its delivery
/// receipt needs it: the write's `RETURNING` [`status_change_columns!`].
#[derive(Clone, Debug, FromRow)]
pub(super) struct StatusChange {
    pub id: String,
    pub service_id: String,
    pub client_reference: Option<String>,
    pub recipient: String,
    pub status: NotificationStatus,
    pub created_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    pub notification_type: TemplateType,
    pub template_id: String,
    pub template_version: i64,
    pub updated_at: Option<Timestamp>,
}

/// The columns of a [`StatusChange`], for a write's `RETURNING`.
macro_rules! status_change_columns {
    () => {
        "CAST(id AS TEXT) AS id, CAST(service_id AS TEXT) AS service_id, client_reference, recipient, status,
         created_at, completed_at, sent_at, notification_type, CAST(template_id AS TEXT) AS template_id,
         template_version, updated_at"
    };
}
pub(super) use status_change_columns;

/// A delivery receipt as Notify sends it: its fields, in its order.
#[derive(serde::Serialize)]
struct DeliveryReceipt<'a> {
    id: &'a str,
    reference: Option<&'a str>,
    to: &'a str,
    status: &'a str,
    created_at: Timestamp,
    completed_at: Option<Timestamp>,
    sent_at: Option<Timestamp>,
    notification_type: &'a str,
    template_id: &'a str,
    template_version: i64,
}

impl<'a> DeliveryReceipt<'a> {
    fn of(c: &'a StatusChange) -> Self {
        Self {
            id: &c.id,
            reference: c.client_reference.as_deref(),
            to: &c.recipient,
            status: c.status.as_str(),
            created_at: c.created_at,
            completed_at: c.completed_at,
            sent_at: c.sent_at,
            notification_type: c.notification_type.as_str(),
            template_id: &c.template_id,
            template_version: c.template_version,
        }
    }
}

tx_methods! {
    /// The delivery receipts of status changes, inside their transaction.
    pub(super) trait ReceiptTx {
        /// Queues, in the status change's own transaction, the delivery
        /// receipt of every change to a final status whose service has a
        /// delivery-status callback (parked while it is paused). Returns how
        /// many it queued.
        async fn queue_receipts(&mut self, changes: &[StatusChange]) -> anyhow::Result<usize> {
            let mut services: Vec<&str> =
                changes.iter().filter(|c| c.status.is_final()).map(|c| c.service_id.as_str()).collect();
            services.sort_unstable();
            services.dedup();
            // A batch is nearly always one service's, or a few.
            let mut paused = std::collections::HashMap::new();
            for service_id in services {
                let callback: Option<(Option<Timestamp>,)> = sqlx::query_as(
                    "SELECT paused_at FROM service_callbacks
                     WHERE service_id = $1 AND callback_type = 'delivery_status'",
                )
                .bind(Id(service_id))
                .fetch_optional(&mut **self)
                .await
                .context("could not look up a delivery-status callback")?;
                if let Some((paused_at,)) = callback {
                    paused.insert(service_id, paused_at.is_some());
                }
            }
            if paused.is_empty() {
                return Ok(0);
            }
            let now = clock::now();
            // In the order the messages were sent (an update's `RETURNING`
            // has no order of its own on PostgreSQL).
            let mut finals: Vec<&StatusChange> = changes.iter().filter(|c| c.status.is_final()).collect();
            finals.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
            let mut events = Vec::new();
            for c in finals {
                let Some(&is_paused) = paused.get(c.service_id.as_str()) else { continue };
                let payload = serde_json::to_string(&DeliveryReceipt::of(c))?;
                let created_at = c.updated_at.unwrap_or(now);
                let next_attempt_at = if is_paused { PARKED } else { created_at };
                events.push((format!("msg_{}", uuid::Uuid::now_v7().simple()), c, payload, created_at, next_attempt_at));
            }
            for chunk in events.chunks(100) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO callback_events (id, service_id, callback_type, notification_id, payload, created_at,
                         next_attempt_at) ",
                );
                insert.push_values(chunk, |mut row, (id, c, payload, created_at, next_attempt_at)| {
                    row.push_bind(id)
                        .push_bind(Id(&c.service_id))
                        .push_bind(CallbackKind::DeliveryStatus)
                        .push_bind(Id(&c.id))
                        .push_bind(payload)
                        .push_bind(created_at)
                        .push_bind(next_attempt_at);
                });
                insert.build().execute(&mut **self).await.context("could not queue delivery receipts")?;
            }
            Ok(events.len())
        }
    }
}

#[derive(Clone, Debug, FromRow)]
pub struct Callback {
    pub id: String,
    pub service_id: String,
    pub callback_type: CallbackKind,
    pub url: String,
    pub bearer_token_ciphertext: String,
    pub signing_secret_ciphertext: Option<String>,
    pub previous_signing_secret_ciphertext: Option<String>,
    pub previous_signing_secret_until: Option<Timestamp>,
    pub failing_since: Option<Timestamp>,
    pub paused_at: Option<Timestamp>,
    pub pause_reason: Option<String>,
}

macro_rules! select_callbacks {
    () => {
        "SELECT CAST(id AS TEXT) AS id, CAST(service_id AS TEXT) AS service_id, callback_type, url,
                bearer_token_ciphertext, signing_secret_ciphertext, previous_signing_secret_ciphertext,
                previous_signing_secret_until, failing_since, paused_at, pause_reason FROM service_callbacks "
    };
}

pub async fn callbacks(pool: &Store, service_id: &str) -> anyhow::Result<Vec<Callback>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Callback>(concat!(select_callbacks!(), "WHERE service_id = $1"))
        .bind(Id(service_id))
        .fetch_all(db)
        .await)
    .context("could not load callbacks")
}

/// The service's callback of `kind`, if it has one.
pub async fn callback(pool: &Store, service_id: &str, kind: CallbackKind) -> anyhow::Result<Option<Callback>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Callback>(concat!(
        select_callbacks!(),
        "WHERE service_id = $1 AND callback_type = $2"
    ))
    .bind(Id(service_id))
    .bind(kind)
    .fetch_optional(db)
    .await)
    .context("could not load a callback")
}

/// A callback as [`save_callback`] stores it.
pub struct CallbackSettings<'a> {
    pub url: &'a str,
    pub bearer_token_ciphertext: &'a str,
    /// Needed for a new callback; an existing one keeps its secret when
    /// this is `None`.
    pub new_signing_secret_ciphertext: Option<&'a str>,
}

/// Creates or replaces the service's callback of `callback_type`, recording
/// `audit` with it. Saving clears a pause (the admin has acted): events not
/// yet sent go to the new URL with the new token.
pub async fn save_callback(
    pool: &Store,
    service_id: &str,
    callback_type: CallbackKind,
    callback: CallbackSettings<'_>,
    audit: super::Audit<'_>,
) -> anyhow::Result<()> {
    let CallbackSettings { url, bearer_token_ciphertext, new_signing_secret_ciphertext } = callback;
    let now = clock::now();
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query(
            "INSERT INTO service_callbacks (id, service_id, callback_type, url, bearer_token_ciphertext,
                 signing_secret_ciphertext, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (service_id, callback_type) DO UPDATE SET
               url = excluded.url, bearer_token_ciphertext = excluded.bearer_token_ciphertext,
               signing_secret_ciphertext =
                 coalesce(excluded.signing_secret_ciphertext, service_callbacks.signing_secret_ciphertext),
               updated_by = excluded.updated_by, updated_at = excluded.updated_at,
               failing_since = NULL, paused_at = NULL, pause_reason = NULL",
        )
        .bind(Id(&new_id()))
        .bind(Id(service_id))
        .bind(callback_type)
        .bind(url)
        .bind(bearer_token_ciphertext)
        .bind(new_signing_secret_ciphertext)
        .bind(audit.user_id.map(Id))
        .bind(now)
        .execute(&mut **tx)
        .await
        .context("could not save a callback")?;
        tx.unpark(service_id, callback_type).await?;
    });
    super::audit_in(&mut write, service_id, audit).await?;
    write.commit().await?;
    Ok(())
}

tx_methods! {
    /// Callbacks' settings written inside a transaction.
    trait CallbackTx {
        /// Makes a paused callback's waiting events due, oldest first.
        async fn unpark(&mut self, service_id: &str, kind: CallbackKind) -> anyhow::Result<()> {
            sqlx::query(
                "UPDATE callback_events SET next_attempt_at = created_at
                 WHERE service_id = $1 AND callback_type = $2 AND state != 'delivered' AND state = 'pending'
                   AND next_attempt_at = $3",
            )
            .bind(Id(service_id))
            .bind(kind)
            .bind(PARKED)
            .execute(&mut **self)
            .await?;
            Ok(())
        }
    }
}

/// Removes the callback, recording `audit` with it; its events not yet
/// delivered are marked failed (nowhere to send them), not lost without
/// trace. `false`: there was no such callback (nothing recorded).
pub async fn delete_callback(
    pool: &Store,
    service_id: &str,
    callback_type: CallbackKind,
    audit: super::Audit<'_>,
) -> anyhow::Result<bool> {
    let now = clock::now();
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        let deleted = sqlx::query("DELETE FROM service_callbacks WHERE service_id = $1 AND callback_type = $2")
            .bind(Id(service_id))
            .bind(callback_type)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE callback_events SET state = 'failed', last_outcome = 'The callback was removed', completed_at = $1
             WHERE service_id = $2 AND callback_type = $3 AND state != 'delivered' AND state = 'pending'",
        )
        .bind(now)
        .bind(Id(service_id))
        .bind(callback_type)
        .execute(&mut **tx)
        .await?;
    });
    super::audit_in(&mut write, service_id, audit).await?;
    write.commit().await?;
    Ok(true)
}

/// A new signing secret, recorded with `audit`; the current one keeps
/// signing beside it until `previous_until`. `false`: no such callback
/// (nothing recorded).
pub async fn rotate_signing_secret(
    pool: &Store,
    service_id: &str,
    kind: CallbackKind,
    new_secret_ciphertext: &str,
    previous_until: Timestamp,
    audit: super::Audit<'_>,
) -> anyhow::Result<bool> {
    let mut write = pool.begin_write().await?;
    let done = on_tx!(&mut write, |tx| sqlx::query(
        "UPDATE service_callbacks SET
           previous_signing_secret_ciphertext = signing_secret_ciphertext,
           previous_signing_secret_until = $1,
           signing_secret_ciphertext = $2
         WHERE service_id = $3 AND callback_type = $4",
    )
    .bind(previous_until)
    .bind(new_secret_ciphertext)
    .bind(Id(service_id))
    .bind(kind)
    .execute(&mut **tx)
    .await?
    .rows_affected());
    if done != 1 {
        return Ok(false);
    }
    super::audit_in(&mut write, service_id, audit).await?;
    write.commit().await?;
    Ok(true)
}

/// Sends again, recorded with `audit`: clears the pause, and the events
/// that waited are due now, oldest first. `false`: no such callback
/// (nothing recorded).
pub async fn resume_callback(
    pool: &Store,
    service_id: &str,
    kind: CallbackKind,
    audit: super::Audit<'_>,
) -> anyhow::Result<bool> {
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        let done = sqlx::query(
            "UPDATE service_callbacks SET paused_at = NULL, pause_reason = NULL, failing_since = NULL
             WHERE service_id = $1 AND callback_type = $2",
        )
        .bind(Id(service_id))
        .bind(kind)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        tx.unpark(service_id, kind).await?;
    });
    super::audit_in(&mut write, service_id, audit).await?;
    write.commit().await?;
    Ok(true)
}

// ---------------------------------------------------------------- events

/// An event the dispatcher has claimed (it holds the claim in memory until
/// the outcome is recorded).
#[derive(Clone, Debug, FromRow)]
pub struct ClaimedEvent {
    pub rowid: i64,
    pub next_attempt_at: Timestamp,
    pub id: String,
    pub service_id: String,
    pub callback_type: CallbackKind,
    pub payload: String,
    pub attempts: i64,
    pub first_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub is_test: bool,
}

/// `{service_id}:{callback_type}`: how the dispatcher names a callback.
pub fn callback_key(service_id: &str, kind: CallbackKind) -> String {
    format!("{service_id}:{}", kind.as_str())
}

/// Where a waiting event is, without its payload: what the dispatcher needs
/// to decide whether to claim it. (It reads the payload, with
/// [`claim_events`], only for the events it takes: under load most events
/// it sees are already claimed, or their callback is full.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventStub {
    pub rowid: i64,
    pub next_attempt_at: Timestamp,
    pub service_id: String,
    pub callback_type: CallbackKind,
    pub created_at: Timestamp,
}

/// Events as one JSON array in one row: sqlx hands rows from SQLite's
/// thread to the caller one at a time, which cost more than reading them
/// (issue 9's profile: the dispatcher's reads were a third of the database's
/// time under load).
macro_rules! stubs_of {
    ($from:expr) => {
        concat!(
            "SELECT coalesce(json_group_array(json_array(rowid, next_attempt_at, service_id, callback_type, created_at)), '[]') FROM (",
            $from,
            ")"
        )
    };
}

fn parse_stubs(json: &str) -> anyhow::Result<Vec<EventStub>> {
    let rows: Vec<(i64, Timestamp, String, String, Timestamp)> =
        serde_json::from_str(json).context("could not read callback events")?;
    Ok(rows
        .into_iter()
        .filter_map(|(rowid, next_attempt_at, service_id, kind, created_at)| {
            Some(EventStub {
                rowid,
                next_attempt_at,
                service_id,
                callback_type: CallbackKind::parse(&kind)?,
                created_at,
            })
        })
        .collect())
}

/// How long a claim on an event holds in a shared (PostgreSQL) database
/// before another instance may send it: longer than an attempt (5 s) and
/// its recording; the instance that holds it renews it while it lives
/// ([`renew_callback_leases`]), so only a dead instance's events are taken
/// over, this long after it died.
pub const CALLBACK_LEASE: time::Duration = time::Duration::seconds(30);

/// A waiting event's place, as PostgreSQL reads it (`seq` is its `rowid`).
type StubRow = (i64, Timestamp, String, CallbackKind, Timestamp);

fn stubs(rows: Vec<StubRow>) -> Vec<EventStub> {
    rows.into_iter()
        .map(|(rowid, next_attempt_at, service_id, callback_type, created_at)| EventStub {
            rowid,
            next_attempt_at,
            service_id,
            callback_type,
            created_at,
        })
        .collect()
}

/// Events written after the one with `rowid` `after`, in the order they
/// were written, that are waiting and due: how the dispatcher finds new
/// events, reading only what is new. (SQLite has one writer, so a commit
/// never adds rows below a rowid a reader has already seen. On PostgreSQL
/// instances commit side by side, so one may: such an event is found by
/// the due scan, [`due_callback_events`], a moment later. Events another
/// instance holds are left out.)
pub async fn new_callback_events(
    pool: &Store,
    after: i64,
    now: Timestamp,
    limit: usize,
) -> anyhow::Result<Vec<EventStub>> {
    if let Some(db) = pool.postgres() {
        let rows: Vec<StubRow> = sqlx::query_as(
            "SELECT seq, next_attempt_at, CAST(service_id AS TEXT), callback_type, created_at FROM callback_events
             WHERE seq > $1 AND state = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2)
             ORDER BY seq LIMIT $3",
        )
        .bind(after)
        .bind(now)
        .bind(limit as i64)
        .fetch_all(db)
        .await
        .context("could not read new callback events")?;
        return Ok(stubs(rows));
    }
    let (json,): (String,) = sqlx::query_as(stubs_of!(
        "SELECT rowid, next_attempt_at, service_id, callback_type, created_at FROM callback_events
         WHERE rowid > ? AND state = 'pending' AND next_attempt_at <= ? ORDER BY rowid LIMIT ?"
    ))
    .bind(after)
    .bind(now)
    .bind(limit as i64)
    .fetch_one(pool.sqlite_arm()?)
    .await
    .context("could not read new callback events")?;
    let mut stubs = parse_stubs(&json)?;
    stubs.sort_by_key(|e| e.rowid);
    Ok(stubs)
}

/// A callback's waiting events after position `(created_at, rowid)`, in
/// the order they were written: its backlog, read when it has room again.
pub async fn callback_backlog(
    pool: &Store,
    service_id: &str,
    kind: CallbackKind,
    after: (Timestamp, i64),
    limit: usize,
) -> anyhow::Result<Vec<EventStub>> {
    if let Some(db) = pool.postgres() {
        let rows: Vec<StubRow> = sqlx::query_as(
            "SELECT seq, next_attempt_at, CAST(service_id AS TEXT), callback_type, created_at FROM callback_events
             WHERE service_id = $1 AND callback_type = $2 AND state != 'delivered' AND state = 'pending'
               AND (created_at, seq) > ($3, $4) AND (lease_until IS NULL OR lease_until < $6)
             ORDER BY created_at, seq LIMIT $5",
        )
        .bind(Id(service_id))
        .bind(kind)
        .bind(after.0)
        .bind(after.1)
        .bind(limit as i64)
        .bind(clock::now())
        .fetch_all(db)
        .await
        .context("could not read a callback's backlog")?;
        return Ok(stubs(rows));
    }
    let (json,): (String,) = sqlx::query_as(stubs_of!(
        "SELECT rowid, next_attempt_at, service_id, callback_type, created_at FROM callback_events
         WHERE service_id = ? AND callback_type = ? AND state != 'delivered' AND state = 'pending' AND (created_at, rowid) > (?, ?)
         ORDER BY created_at, rowid LIMIT ?"
    ))
    .bind(service_id)
    .bind(kind)
    .bind(after.0)
    .bind(after.1)
    .bind(limit as i64)
    .fetch_one(pool.sqlite_arm()?)
    .await
    .context("could not read a callback's backlog")?;
    let mut stubs = parse_stubs(&json)?;
    stubs.sort_by(|a, b| (&a.created_at, a.rowid).cmp(&(&b.created_at, b.rowid)));
    Ok(stubs)
}

/// Waiting events that are due (retries, resumed and resent events, and
/// any the new-event reading passed over), the longest due first, leaving
/// out those `claimed`: their rowids come from the due index alone, and only
/// the others are read. (On PostgreSQL, also those another instance holds.)
pub async fn due_callback_events(
    pool: &Store,
    now: Timestamp,
    claimed: &std::collections::HashSet<i64>,
    limit: usize,
) -> anyhow::Result<Vec<EventStub>> {
    if let Some(db) = pool.postgres() {
        let claimed: Vec<i64> = claimed.iter().copied().collect();
        let rows: Vec<StubRow> = sqlx::query_as(
            "SELECT seq, next_attempt_at, CAST(service_id AS TEXT), callback_type, created_at FROM callback_events
             WHERE state = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
               AND NOT (seq = ANY($2))
             ORDER BY next_attempt_at LIMIT $3",
        )
        .bind(now)
        .bind(&claimed)
        .bind(limit as i64)
        .fetch_all(db)
        .await
        .context("could not read due callback events")?;
        return Ok(stubs(rows));
    }
    let (rowids,): (String,) = sqlx::query_as(
        "SELECT coalesce(json_group_array(rowid), '[]') FROM (
           SELECT rowid FROM callback_events INDEXED BY callback_events_due
           WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?)",
    )
    .bind(now)
    .bind((claimed.len() + limit) as i64)
    .fetch_one(pool.sqlite_arm()?)
    .await
    .context("could not read due callback events")?;
    let rowids: Vec<i64> = serde_json::from_str(&rowids)?;
    let unclaimed: Vec<i64> = rowids.into_iter().filter(|r| !claimed.contains(r)).take(limit).collect();
    if unclaimed.is_empty() {
        return Ok(Vec::new());
    }
    let (json,): (String,) = sqlx::query_as(stubs_of!(
        "SELECT rowid, next_attempt_at, service_id, callback_type, created_at FROM callback_events
         WHERE rowid IN (SELECT value FROM json_each(?)) AND state = 'pending'"
    ))
    .bind(serde_json::to_string(&unclaimed)?)
    .fetch_one(pool.sqlite_arm()?)
    .await
    .context("could not read due callback events")?;
    parse_stubs(&json)
}

/// The events the dispatcher has decided to send, whole (payload, attempts
/// so far), those still waiting among `rowids`, in no particular order.
///
/// On SQLite the claim is the dispatcher's, in memory (one process sends).
/// On PostgreSQL it is a lease in the database: each event is taken with
/// `FOR UPDATE SKIP LOCKED` and marked this instance's for
/// [`CALLBACK_LEASE`], in a statement that commits at once (no connection
/// is held while the event is sent); events another instance holds, or took
/// first, are left out, so each attempt is made by one instance.
pub async fn claim_events(pool: &Store, rowids: &[i64]) -> anyhow::Result<Vec<ClaimedEvent>> {
    if rowids.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(db) = pool.postgres() {
        let now = clock::now();
        return sqlx::query_as::<_, ClaimedEvent>(
            "UPDATE callback_events SET leased_by = $2, lease_until = $3
             WHERE seq IN (
               SELECT seq FROM callback_events
               WHERE seq = ANY($1) AND state = 'pending'
                 AND (lease_until IS NULL OR lease_until < $4 OR leased_by = $2)
               FOR UPDATE SKIP LOCKED)
             RETURNING seq AS rowid, next_attempt_at, id, CAST(service_id AS TEXT) AS service_id, callback_type,
                       payload, attempts, first_attempt_at, created_at, is_test",
        )
        .bind(rowids)
        .bind(&*pool.instance)
        .bind(now + CALLBACK_LEASE)
        .bind(now)
        .fetch_all(db)
        .await
        .context("could not claim callback events");
    }
    let (json,): (String,) = sqlx::query_as(
        "SELECT coalesce(json_group_array(json_array(rowid, next_attempt_at, id, service_id, callback_type, payload,
                    attempts, first_attempt_at, created_at, is_test)), '[]')
         FROM callback_events WHERE rowid IN (SELECT value FROM json_each(?)) AND state = 'pending'",
    )
    .bind(serde_json::to_string(rowids)?)
    .fetch_one(pool.sqlite_arm()?)
    .await
    .context("could not read claimed callback events")?;
    type Row = (i64, Timestamp, String, String, String, String, i64, Option<Timestamp>, Timestamp, i64);
    let rows: Vec<Row> = serde_json::from_str(&json).context("could not read claimed callback events")?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(
                rowid,
                next_attempt_at,
                id,
                service_id,
                kind,
                payload,
                attempts,
                first_attempt_at,
                created_at,
                is_test,
            )| {
                Some(ClaimedEvent {
                    rowid,
                    next_attempt_at,
                    id,
                    service_id,
                    callback_type: CallbackKind::parse(&kind)?,
                    payload,
                    attempts,
                    first_attempt_at,
                    created_at,
                    is_test: is_test != 0,
                })
            },
        )
        .collect())
}

/// The rowid of the newest event (0 when there is none): where reading new
/// events starts.
pub async fn last_callback_event(pool: &Store) -> anyhow::Result<i64> {
    let (n,): (Option<i64>,) = match pool.postgres() {
        Some(db) => sqlx::query_as("SELECT max(seq) FROM callback_events").fetch_one(db).await?,
        None => sqlx::query_as("SELECT max(rowid) FROM callback_events").fetch_one(pool.sqlite_arm()?).await?,
    };
    Ok(n.unwrap_or(0))
}

/// Renews this instance's leases on the events `rowids` it still holds
/// (sent, or waiting to be, their outcome not yet recorded), so no other
/// instance takes them over while it lives. Nothing to do on SQLite, where
/// claims are in memory.
pub async fn renew_callback_leases(pool: &Store, rowids: &[i64]) -> anyhow::Result<u64> {
    let Some(db) = pool.postgres() else { return Ok(0) };
    if rowids.is_empty() {
        return Ok(0);
    }
    let done = sqlx::query(
        "UPDATE callback_events SET lease_until = $1 WHERE seq = ANY($2) AND leased_by = $3 AND state = 'pending'",
    )
    .bind(clock::now() + CALLBACK_LEASE)
    .bind(rowids)
    .bind(&*pool.instance)
    .execute(db)
    .await
    .context("could not renew callback leases")?;
    Ok(done.rows_affected())
}

/// The callbacks named by these keys (see [`callback_key`]).
pub async fn callbacks_by_key(pool: &Store, keys: &[String]) -> anyhow::Result<Vec<Callback>> {
    let keys = serde_json::to_string(keys)?;
    // The keys come as one JSON array, each backend reading it with its own
    // JSON functions.
    let sql = if pool.is_postgres() {
        concat!(
            select_callbacks!(),
            "WHERE CAST(service_id AS TEXT) || ':' || callback_type IN (SELECT jsonb_array_elements_text($1::jsonb))"
        )
    } else {
        concat!(select_callbacks!(), "WHERE service_id || ':' || callback_type IN (SELECT value FROM json_each($1))")
    };
    on_backend!(pool, |db| sqlx::query_as::<_, Callback>(sql).bind(&keys).fetch_all(db).await)
        .context("could not load callbacks")
}

/// What became of an event after one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventFate {
    Delivered,
    /// Tried again at this time.
    Retry(Timestamp),
    /// No more tries (a final answer, or 24 hours of failures).
    Failed,
    /// Not tried: its callback is paused, so it waits for the resume.
    Parked,
}

/// One attempt, as the dispatcher saw it.
#[derive(Clone, Debug)]
pub struct AttemptRecord {
    pub event_rowid: i64,
    pub event_id: String,
    pub service_id: String,
    pub kind: CallbackKind,
    pub at: Timestamp,
    pub status_code: Option<u16>,
    /// `HTTP 200`, `Timed out after 5 seconds`, `Refused: private address`…
    pub outcome: String,
    pub duration_ms: i64,
    pub fate: EventFate,
    /// Whether the attempt reached the receiver and it answered 2xx (a
    /// success ends the callback's run of failures).
    pub succeeded: bool,
    /// Whether it was the event's first attempt. A first attempt that
    /// delivers it is recorded on the event alone, not as an attempt row.
    pub first_try: bool,
}

/// Records a batch of attempts in one transaction: the attempt log, each
/// event's state, and each callback's run of failures, pausing a callback
/// whose every attempt has failed for 24 hours (its waiting events are then
/// parked).
pub async fn record_callback_attempts(pool: &Store, batch: &[AttemptRecord]) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let _turn = pool.write_turn().await;
    // SQLite names an event by its `rowid`, PostgreSQL by `seq`, where the
    // instance's lease on it also ends.
    let (event_is, lease) = if pool.is_postgres() {
        ("callback_events.seq = o.event_rowid", ", leased_by = NULL, lease_until = NULL")
    } else {
        ("callback_events.rowid = o.event_rowid", "")
    };
    let mut write = pool.begin_busy_write().await?;
    on_tx!(&mut write, |tx| {
        for chunk in batch.chunks(100) {
            let tried: Vec<&AttemptRecord> = chunk
                .iter()
                .filter(|a| a.fate != EventFate::Parked && !(a.first_try && a.fate == EventFate::Delivered))
                .collect();
            if !tried.is_empty() {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO callback_attempts (event_id, service_id, callback_type, at, status_code, outcome,
                         duration_ms, next_attempt_at) ",
                );
                insert.push_values(&tried, |mut row, a| {
                    row.push_bind(&a.event_id)
                        .push_bind(Id(&a.service_id))
                        .push_bind(a.kind)
                        .push_bind(a.at)
                        .push_bind(a.status_code.map(i64::from))
                        .push_bind(&a.outcome)
                        .push_bind(a.duration_ms)
                        .push_bind(match &a.fate {
                            EventFate::Retry(at) => Some(*at),
                            _ => None,
                        });
                });
                insert.build().execute(&mut **tx).await.context("could not record callback attempts")?;
            }
        }
        // Each event's new state: one statement per 100 events (a statement is
        // a round trip to SQLite's thread; one per event cost as much as a send).
        for chunk in batch.chunks(100) {
            let mut update = sqlx::QueryBuilder::new(
                "WITH o(event_rowid, state, tried, at, next_at, outcome, completed_at, status_code, duration_ms) AS (",
            );
            update.push_values(chunk, |mut row, a| {
                let (state, next, completed) = match &a.fate {
                    EventFate::Delivered => ("delivered", None, Some(a.at)),
                    EventFate::Failed => ("failed", None, Some(a.at)),
                    EventFate::Retry(at) => ("pending", Some(*at), None),
                    EventFate::Parked => ("pending", Some(PARKED), None),
                };
                row.push_bind(a.event_rowid)
                    .push_bind(state)
                    .push_bind(i64::from(a.fate != EventFate::Parked))
                    .push_bind(a.at)
                    .push_bind(next)
                    .push_bind(&a.outcome)
                    .push_bind(completed)
                    .push_bind(a.status_code.map(i64::from))
                    .push_bind(a.duration_ms);
            });
            update.push(
                ") UPDATE callback_events SET state = o.state, attempts = attempts + o.tried,
                   first_attempt_at = CASE WHEN o.tried = 1 THEN coalesce(first_attempt_at, o.at) ELSE first_attempt_at END,
                   next_attempt_at = coalesce(o.next_at, next_attempt_at),
                   last_outcome = CASE WHEN o.tried = 1 THEN o.outcome ELSE last_outcome END,
                   last_status_code = CASE WHEN o.tried = 1 THEN o.status_code ELSE last_status_code END,
                   last_duration_ms = CASE WHEN o.tried = 1 THEN o.duration_ms ELSE last_duration_ms END,
                   completed_at = o.completed_at",
            );
            update.push(lease);
            update.push(" FROM o WHERE ");
            update.push(event_is);
            update.build().execute(&mut **tx).await.context("could not update callback events")?;
        }
        // Each callback's run of failures: cleared by its last success, else
        // started by the first failure after it.
        let mut runs: Vec<(&str, CallbackKind, Option<&AttemptRecord>, Option<&AttemptRecord>)> = Vec::new();
        for a in batch.iter().filter(|a| a.fate != EventFate::Parked) {
            let i = match runs.iter().position(|r| r.0 == a.service_id && r.1 == a.kind) {
                Some(i) => i,
                None => {
                    runs.push((&a.service_id, a.kind, None, None));
                    runs.len() - 1
                }
            };
            if a.succeeded {
                runs[i].2 = Some(a);
                runs[i].3 = None;
            } else if runs[i].3.is_none() {
                runs[i].3 = Some(a);
            }
        }
        let day_ago = clock::now() - time::Duration::hours(24);
        for (service_id, kind, success, first_failure) in runs {
            if success.is_some() {
                sqlx::query(
                    "UPDATE service_callbacks SET failing_since = NULL WHERE service_id = $1 AND callback_type = $2",
                )
                .bind(Id(service_id))
                .bind(kind)
                .execute(&mut **tx)
                .await?;
            }
            let Some(failure) = first_failure else { continue };
            let reason = format!(
                "Every attempt to send to this callback has failed for 24 hours, so we stopped sending. The last: {}.",
                failure.outcome
            );
            let paused: Option<(Option<Timestamp>,)> = sqlx::query_as(
                "UPDATE service_callbacks SET
                   failing_since = coalesce(failing_since, $1),
                   paused_at = CASE WHEN paused_at IS NULL AND coalesce(failing_since, $1) <= $2 THEN $1
                                    ELSE paused_at END,
                   pause_reason = CASE WHEN paused_at IS NULL AND coalesce(failing_since, $1) <= $2 THEN $3
                                       ELSE pause_reason END
                 WHERE service_id = $4 AND callback_type = $5
                 RETURNING paused_at",
            )
            .bind(failure.at)
            .bind(day_ago)
            .bind(&reason)
            .bind(Id(service_id))
            .bind(kind)
            .fetch_optional(&mut **tx)
            .await?;
            if matches!(paused, Some((Some(_),))) {
                sqlx::query(
                    "UPDATE callback_events SET next_attempt_at = $1
                     WHERE service_id = $2 AND callback_type = $3 AND state != 'delivered' AND state = 'pending'
                       AND is_test = FALSE AND next_attempt_at < $1",
                )
                .bind(PARKED)
                .bind(Id(service_id))
                .bind(kind)
                .execute(&mut **tx)
                .await?;
            }
        }
        anyhow::Ok(())
    })?;
    write.commit().await.context("could not commit callback attempts")?;
    Ok(())
}

/// Queues an event now (test callbacks, received text messages, returned
/// letters), whether or not the callback is paused when `is_test`.
/// Returns its id, or `None` when the service has no callback of `kind`.
pub async fn queue_callback_event(
    pool: &Store,
    service_id: &str,
    kind: CallbackKind,
    notification_id: Option<&str>,
    payload: &serde_json::Value,
    is_test: bool,
) -> anyhow::Result<Option<String>> {
    let id = format!("msg_{}", uuid::Uuid::now_v7().simple());
    let now = clock::now();
    let payload = payload.to_string();
    let done = on_backend!(pool, |db| sqlx::query(
        "INSERT INTO callback_events (id, service_id, callback_type, notification_id, payload, is_test, created_at,
             next_attempt_at)
         SELECT $1, service_id, callback_type, $2, $3, $4, $5,
                CASE WHEN paused_at IS NULL OR $4 THEN $5 ELSE $6 END
         FROM service_callbacks WHERE service_id = $7 AND callback_type = $8",
    )
    .bind(&id)
    .bind(notification_id.map(Id))
    .bind(&payload)
    .bind(is_test)
    .bind(now)
    .bind(PARKED)
    .bind(Id(service_id))
    .bind(kind)
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .context("could not queue a callback event")?;
    Ok((done == 1).then_some(id))
}

/// A received text message, as the `inbound_sms` callback sends it.
#[derive(Clone, Debug)]
pub struct InboundSms {
    pub id: String,
    pub source_number: String,
    pub destination_number: String,
    pub message: String,
    pub date_received: String,
}

/// Queues the `inbound_sms` callback for a received text message (the
/// inbound side records it; `None` when the service has no such callback).
pub async fn record_inbound_sms(pool: &Store, service_id: &str, sms: &InboundSms) -> anyhow::Result<Option<String>> {
    let payload = serde_json::json!({
        "id": sms.id,
        "source_number": sms.source_number,
        "destination_number": sms.destination_number,
        "message": sms.message,
        "date_received": sms.date_received,
    });
    queue_callback_event(pool, service_id, CallbackKind::ReceivedTextMessages, None, &payload, false).await
}

/// Queues the `returned_letter` callback for a letter notification of the
/// service, with Notify's fields (`sent_by` is `API`: every notification
/// here came through the API). `None`: no such letter, or no callback.
pub async fn record_returned_letter(
    pool: &Store,
    service_id: &str,
    notification_id: &str,
) -> anyhow::Result<Option<String>> {
    /// reference, sent_at, template name, template id, template version
    type Letter = (Option<String>, Option<Timestamp>, String, String, i64);
    let row: Option<Letter> = on_backend!(pool, |db| {
        sqlx::query_as(
        "SELECT n.client_reference, n.sent_at, coalesce(t.name, ''), CAST(n.template_id AS TEXT), n.template_version
         FROM notifications n LEFT JOIN templates t ON t.id = n.template_id
         WHERE n.id = $1 AND n.service_id = $2 AND n.notification_type = 'letter'",
    )
    .bind(Id(notification_id))
    .bind(Id(service_id))
    .fetch_optional(db)
    .await
    })?;
    let Some((reference, sent_at, template_name, template_id, template_version)) = row else { return Ok(None) };
    let payload = serde_json::json!({
        "notification_id": notification_id,
        "reference": reference,
        "date_sent": sent_at,
        "sent_by": "API",
        "template_name": template_name,
        "template_id": template_id,
        "template_version": template_version,
        "spreadsheet_file_name": null,
        "spreadsheet_row_number": null,
        "upload_letter_file_name": null,
    });
    queue_callback_event(pool, service_id, CallbackKind::ReturnedLetters, Some(notification_id), &payload, false).await
}

/// One row of a callback page's attempt log.
#[derive(Clone, Debug, FromRow)]
pub struct AttemptRow {
    pub id: i64,
    pub event_id: String,
    pub notification_id: Option<String>,
    pub is_test: bool,
    pub at: Timestamp,
    pub status_code: Option<i64>,
    pub outcome: String,
    pub duration_ms: i64,
    pub next_attempt_at: Option<Timestamp>,
    /// The event's state now: `pending`, `delivered` or `failed`.
    pub event_state: String,
}

/// An event delivered at its first attempt as the attempt it had (it has no
/// attempt row: migration 0017); its `id` is the event's rowid (`seq` on
/// PostgreSQL), negated. (Its `NULL` is cast: PostgreSQL would take a bare
/// one in a sub-select as text, which the union could not match.)
macro_rules! first_tries {
    () => {
        first_tries!("rowid")
    };
    (postgres) => {
        first_tries!("seq")
    };
    ($rowid:literal) => {
        concat!(
            "SELECT -e.",
            $rowid,
            " AS id, e.id AS event_id, CAST(e.notification_id AS TEXT) AS notification_id, e.is_test,
                coalesce(e.first_attempt_at, e.created_at) AS at, e.last_status_code AS status_code,
                coalesce(e.last_outcome, '') AS outcome,
                coalesce(e.last_duration_ms, 0) AS duration_ms, CAST(NULL AS TIMESTAMPTZ) AS next_attempt_at,
                e.state AS event_state
         FROM callback_events e"
        )
    };
}

/// The last `limit` attempts to deliver to the service's callback of `kind`,
/// newest first.
pub async fn callback_attempts(
    pool: &Store,
    service_id: &str,
    kind: CallbackKind,
    limit: i64,
) -> anyhow::Result<Vec<AttemptRow>> {
    macro_rules! attempts {
        ($first_tries:expr) => {
            concat!(
                "SELECT * FROM (
                   SELECT a.id, a.event_id, CAST(e.notification_id AS TEXT) AS notification_id, e.is_test, a.at,
                          a.status_code, a.outcome, a.duration_ms, a.next_attempt_at, e.state AS event_state
                   FROM callback_attempts a JOIN callback_events e ON e.id = a.event_id
                   WHERE a.service_id = $1 AND a.callback_type = $2
                   ORDER BY a.id DESC LIMIT $3) AS tried
                 UNION ALL SELECT * FROM (",
                $first_tries,
                " WHERE e.service_id = $1 AND e.callback_type = $2 AND e.state = 'delivered' AND e.attempts = 1
                   ORDER BY e.first_attempt_at DESC LIMIT $3) AS first_tries
                 ORDER BY at DESC, id DESC LIMIT $3"
            )
        };
    }
    let sql = if pool.is_postgres() { attempts!(first_tries!(postgres)) } else { attempts!(first_tries!()) };
    on_backend!(pool, |db| sqlx::query_as::<_, AttemptRow>(sql)
        .bind(Id(service_id))
        .bind(kind)
        .bind(limit)
        .fetch_all(db)
        .await)
    .context("could not load callback attempts")
}

/// Counts of the callback's events by state: (waiting, failed in the last 7 days).
pub async fn callback_event_counts(pool: &Store, service_id: &str, kind: CallbackKind) -> anyhow::Result<(i64, i64)> {
    let week_ago = clock::now() - time::Duration::days(7);
    let counts: (i64, i64) = on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(coalesce(sum(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(coalesce(sum(CASE WHEN state = 'failed' AND created_at >= $1 THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM callback_events WHERE service_id = $2 AND callback_type = $3 AND state != 'delivered'",
    )
    .bind(week_ago)
    .bind(Id(service_id))
    .bind(kind)
    .fetch_one(db)
    .await)?;
    Ok(counts)
}

/// The state of one event of the service's callback, with its attempts
/// (newest first): `None` when there is no such event for this service.
pub async fn callback_event_state(
    pool: &Store,
    service_id: &str,
    event_id: &str,
) -> anyhow::Result<Option<(String, Vec<AttemptRow>)>> {
    let state: Option<(String,)> =
        on_backend!(pool, |db| sqlx::query_as("SELECT state FROM callback_events WHERE id = $1 AND service_id = $2")
            .bind(event_id)
            .bind(Id(service_id))
            .fetch_optional(db)
            .await)?;
    let Some((state,)) = state else { return Ok(None) };
    macro_rules! event_attempts {
        ($first_tries:expr) => {
            concat!(
                "SELECT a.id, a.event_id, CAST(e.notification_id AS TEXT) AS notification_id, e.is_test, a.at,
                        a.status_code, a.outcome, a.duration_ms, a.next_attempt_at, e.state AS event_state
                 FROM callback_attempts a JOIN callback_events e ON e.id = a.event_id
                 WHERE a.event_id = $1
                 UNION ALL ",
                $first_tries,
                " WHERE e.id = $1 AND e.state = 'delivered' AND e.attempts = 1
                 ORDER BY at DESC, id DESC"
            )
        };
    }
    let sql =
        if pool.is_postgres() { event_attempts!(first_tries!(postgres)) } else { event_attempts!(first_tries!()) };
    let attempts = on_backend!(pool, |db| sqlx::query_as::<_, AttemptRow>(sql).bind(event_id).fetch_all(db).await)?;
    Ok(Some((state, attempts)))
}

/// Sends a failed event of the service's callback again, now, with a fresh
/// 24 hours of retries. `false`: no such failed event.
pub async fn resend_event(pool: &Store, service_id: &str, kind: CallbackKind, event_id: &str) -> anyhow::Result<bool> {
    let done = on_backend!(pool, |db| sqlx::query(
        "UPDATE callback_events SET state = 'pending', next_attempt_at = $1, first_attempt_at = NULL,
             completed_at = NULL
         WHERE id = $2 AND service_id = $3 AND callback_type = $4 AND state = 'failed'",
    )
    .bind(clock::now())
    .bind(event_id)
    .bind(Id(service_id))
    .bind(kind)
    .execute(db)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Sends again every failed event of the callback created since `since`.
/// Returns how many.
pub async fn resend_failed_since(
    pool: &Store,
    service_id: &str,
    kind: CallbackKind,
    since: Timestamp,
) -> anyhow::Result<u64> {
    let done = on_backend!(pool, |db| sqlx::query(
        "UPDATE callback_events SET state = 'pending', next_attempt_at = created_at, first_attempt_at = NULL,
             completed_at = NULL
         WHERE service_id = $1 AND callback_type = $2 AND state != 'delivered' AND state = 'failed'
           AND created_at >= $3",
    )
    .bind(Id(service_id))
    .bind(kind)
    .bind(since)
    .execute(db)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done)
}

/// Deletes delivered and failed events, and attempts, older than `before`
/// (a bounded batch; returns how many events went).
pub async fn prune_callback_history(pool: &Store, before: Timestamp) -> anyhow::Result<u64> {
    let _turn = pool.write_turn().await;
    let mut write = pool.begin_busy_write().await?;
    let done = on_tx!(&mut write, |tx| {
        sqlx::query(
            "DELETE FROM callback_attempts WHERE id IN (SELECT id FROM callback_attempts WHERE at < $1 LIMIT 5000)",
        )
        .bind(before)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "DELETE FROM callback_events WHERE id IN (
               SELECT id FROM callback_events WHERE state != 'pending' AND created_at < $1 LIMIT 5000)",
        )
        .bind(before)
        .execute(&mut **tx)
        .await
        .map(|done| done.rows_affected())
    })?;
    write.commit().await?;
    Ok(done)
}
