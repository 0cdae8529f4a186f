//! Keys' hourly usage, refused requests per service, and the alerts on
//! unusual usage raised from them.

use super::backend::{on_backend, on_tx, tx_methods, Id};
use super::notifications::NotificationTx;
use super::Store;
use crate::domain::key_usage::{self, hour_of, is_send_spike, BASELINE_HOURS, REFUSAL_BURST, SPIKE_FLOOR};
use crate::domain::london_time::datetime_short;
use crate::domain::Timestamp;
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

/// An hour as the store keeps it: `2026-11-29T17` (text, which sorts as
/// time) on SQLite; the start of the hour (`timestamptz`) on PostgreSQL.
#[derive(Clone, Copy, Debug)]
struct Hour<'a>(&'a str);

/// An hour read back, in the text form on both backends.
#[derive(Clone, Debug)]
struct StoredHour(String);

mod stored_hour {
    use super::{Hour, StoredHour};
    use crate::domain::key_usage::{hour_of, parse_hour};
    use crate::domain::Timestamp;
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
    use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
    use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

    impl Type<Sqlite> for Hour<'_> {
        fn type_info() -> SqliteTypeInfo {
            <str as Type<Sqlite>>::type_info()
        }
    }

    impl Encode<'_, Sqlite> for Hour<'_> {
        fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
            <&str as Encode<Sqlite>>::encode_by_ref(&self.0, buf)
        }
    }

    impl Type<Postgres> for Hour<'_> {
        fn type_info() -> PgTypeInfo {
            <Timestamp as Type<Postgres>>::type_info()
        }
    }

    impl Encode<'_, Postgres> for Hour<'_> {
        fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
            let start = parse_hour(self.0).ok_or_else(|| format!("{:?} is not an hour", self.0))?;
            <Timestamp as Encode<Postgres>>::encode_by_ref(&Timestamp::from_time(start), buf)
        }
    }

    impl Type<Sqlite> for StoredHour {
        fn type_info() -> SqliteTypeInfo {
            <str as Type<Sqlite>>::type_info()
        }
    }

    impl<'r> Decode<'r, Sqlite> for StoredHour {
        fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
            Ok(StoredHour(<String as Decode<Sqlite>>::decode(value)?))
        }
    }

    impl Type<Postgres> for StoredHour {
        fn type_info() -> PgTypeInfo {
            <Timestamp as Type<Postgres>>::type_info()
        }
    }

    impl<'r> Decode<'r, Postgres> for StoredHour {
        fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
            Ok(StoredHour(hour_of(<Timestamp as Decode<Postgres>>::decode(value)?.time())))
        }
    }
}

/// Adds counts gathered in memory: `(key id, hour, metric, n)` and refused
/// requests `(service id, hour, n)`, in one transaction.
pub async fn record_usage(
    pool: &Store,
    usage: &[(String, String, &'static str, i64)],
    refusals: &[(String, String, i64)],
) -> anyhow::Result<()> {
    let _turn = pool.write_turn().await;
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        for (key_id, hour, metric, n) in usage {
            sqlx::query(
                "INSERT INTO key_usage (key_id, hour, metric, n) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (key_id, hour, metric) DO UPDATE SET n = key_usage.n + excluded.n",
            )
            .bind(Id(key_id))
            .bind(Hour(hour))
            .bind(metric)
            .bind(n)
            .execute(&mut **tx)
            .await?;
        }
        for (service_id, hour, n) in refusals {
            sqlx::query(
                "INSERT INTO service_refusals (service_id, hour, n) VALUES ($1, $2, $3)
                 ON CONFLICT (service_id, hour) DO UPDATE SET n = service_refusals.n + excluded.n",
            )
            .bind(Id(service_id))
            .bind(Hour(hour))
            .bind(n)
            .execute(&mut **tx)
            .await?;
        }
    });
    write.commit().await.context("could not record key usage")
}

/// A key's hourly counts from `since_hour` on: `(hour, metric, n)`.
pub async fn key_usage_since(
    pool: &Store,
    key_id: &str,
    since_hour: &str,
) -> anyhow::Result<Vec<(String, String, i64)>> {
    let rows: Vec<(StoredHour, String, i64)> = on_backend!(pool, |db| sqlx::query_as(
        "SELECT hour, metric, n FROM key_usage WHERE key_id = $1 AND hour >= $2 ORDER BY hour"
    )
    .bind(Id(key_id))
    .bind(Hour(since_hour))
    .fetch_all(db)
    .await)
    .context("could not read a key's usage")?;
    Ok(rows.into_iter().map(|(hour, metric, n)| (hour.0, metric, n)).collect())
}

/// Deletes usage counts from before `before_hour`; returns how many.
pub async fn delete_usage_before(pool: &Store, before_hour: &str) -> anyhow::Result<u64> {
    let keys = on_backend!(pool, |db| sqlx::query("DELETE FROM key_usage WHERE hour < $1")
        .bind(Hour(before_hour))
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
    let services = on_backend!(pool, |db| sqlx::query("DELETE FROM service_refusals WHERE hour < $1")
        .bind(Hour(before_hour))
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(keys + services)
}

#[derive(Clone, Debug, FromRow)]
pub struct KeyAlert {
    pub id: i64,
    pub key_id: Option<String>,
    pub key_name: Option<String>,
    /// `send_spike`, `refusals` or `idle_key_used`.
    pub kind: String,
    pub detail: String,
    pub raised_at: Timestamp,
    pub dismissed_at: Option<Timestamp>,
}

/// `SELECT` of alerts with their key's name, then the rest of the query.
macro_rules! select_alerts {
    ($rest:literal) => {
        concat!(
            "SELECT a.id, CAST(a.key_id AS TEXT) AS key_id, k.name AS key_name, a.kind, a.detail, a.raised_at,
                    a.dismissed_at
             FROM key_alerts a LEFT JOIN api_keys k ON k.id = a.key_id ",
            $rest
        )
    };
}

/// The service's alerts nobody has dismissed, newest first.
pub async fn open_alerts(pool: &Store, service_id: &str) -> anyhow::Result<Vec<KeyAlert>> {
    on_backend!(pool, |db| sqlx::query_as(select_alerts!(
        "WHERE a.service_id = $1 AND a.dismissed_at IS NULL ORDER BY a.id DESC LIMIT 50"
    ))
    .bind(Id(service_id))
    .fetch_all(db)
    .await)
    .context("could not read alerts")
}

/// One key's latest alerts, dismissed or not, newest first.
pub async fn alerts_for_key(pool: &Store, service_id: &str, key_id: &str) -> anyhow::Result<Vec<KeyAlert>> {
    on_backend!(pool, |db| sqlx::query_as(select_alerts!(
        "WHERE a.service_id = $1 AND a.key_id = $2 ORDER BY a.id DESC LIMIT 20"
    ))
    .bind(Id(service_id))
    .bind(Id(key_id))
    .fetch_all(db)
    .await)
    .context("could not read a key's alerts")
}

/// Dismisses one of the service's open alerts, on the audit log; `None`
/// when the service has no such open alert.
pub async fn dismiss_alert(
    pool: &Store,
    service_id: &str,
    alert_id: i64,
    user_id: &str,
) -> anyhow::Result<Option<KeyAlert>> {
    let mut write = pool.begin_write().await?;
    let alert = on_tx!(&mut write, |tx| {
        let changed = sqlx::query(
            "UPDATE key_alerts SET dismissed_at = $1, dismissed_by = $2
             WHERE id = $3 AND service_id = $4 AND dismissed_at IS NULL",
        )
        .bind(clock::now())
        .bind(Id(user_id))
        .bind(alert_id)
        .bind(Id(service_id))
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Ok(None);
        }
        let alert: KeyAlert =
            sqlx::query_as(select_alerts!("WHERE a.id = $1")).bind(alert_id).fetch_one(&mut **tx).await?;
        let description = format!("Dismissed the alert: {}", alert.detail);
        super::audit_key_in(tx, service_id, Some(user_id), alert.key_id.as_deref(), &description).await?;
        alert
    });
    write.commit().await?;
    Ok(Some(alert))
}

/// An alert not emailed yet, with its service and who is to be told: the
/// members who may manage its API integration.
#[derive(Clone, Debug)]
pub struct AlertToEmail {
    pub id: i64,
    pub service_id: String,
    pub service_name: String,
    pub detail: String,
    pub recipients: Vec<String>,
}

/// Up to `limit` alerts not emailed yet, oldest first.
pub async fn alerts_to_email(pool: &Store, limit: i64) -> anyhow::Result<Vec<AlertToEmail>> {
    // SQLite is told its partial index (it would walk the whole table by id
    // otherwise); PostgreSQL has no such hint.
    let sql = if pool.is_postgres() {
        "SELECT a.id, CAST(a.service_id AS TEXT), s.name, a.detail FROM key_alerts a
         JOIN services s ON s.id = a.service_id
         WHERE a.emailed_at IS NULL ORDER BY a.id LIMIT $1"
    } else {
        "SELECT a.id, CAST(a.service_id AS TEXT), s.name, a.detail FROM key_alerts a INDEXED BY key_alerts_to_email
         JOIN services s ON s.id = a.service_id
         WHERE a.emailed_at IS NULL ORDER BY a.id LIMIT $1"
    };
    let alerts: Vec<(i64, String, String, String)> =
        on_backend!(pool, |db| sqlx::query_as(sql).bind(limit).fetch_all(db).await)
            .context("could not read alerts to email")?;
    let mut out = Vec::with_capacity(alerts.len());
    for (id, service_id, service_name, detail) in alerts {
        let recipients: Vec<(String,)> = on_backend!(pool, |db| sqlx::query_as(
            "SELECT u.email_address FROM user_service_permissions p JOIN users u ON u.id = p.user_id
             WHERE p.service_id = $1 AND p.permission = 'manage_api_keys' ORDER BY u.email_address",
        )
        .bind(Id(&service_id))
        .fetch_all(db)
        .await)
        .context("could not read who manages a service's keys")?;
        let recipients = recipients.into_iter().map(|(e,)| e).collect();
        out.push(AlertToEmail { id, service_id, service_name, detail, recipients });
    }
    Ok(out)
}

/// Stores the emails about alerts `alert_ids` and marks those alerts
/// emailed, in one transaction: each alert's emails are written once.
pub async fn record_alert_emails(
    pool: &Store,
    alert_ids: &[i64],
    emails: &[super::NewNotification],
) -> anyhow::Result<()> {
    let now = clock::now();
    let _turn = pool.write_turn().await;
    let mut write = pool.begin_busy_write().await?;
    on_tx!(&mut write, |tx| {
        for id in alert_ids {
            sqlx::query("UPDATE key_alerts SET emailed_at = $1 WHERE id = $2 AND emailed_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await
                .context("could not mark an alert emailed")?;
        }
        let batch: Vec<&super::NewNotification> = emails.iter().collect();
        tx.insert_notifications(&batch).await
    })?;
    write.commit().await.context("could not record alert emails")?;
    Ok(())
}

/// Raises an alert once per service, key, kind and period: whether it was new.
async fn raise(
    pool: &Store,
    service_id: &str,
    key_id: Option<&str>,
    kind: &str,
    period: &str,
    detail: &str,
) -> anyhow::Result<bool> {
    let inserted = on_backend!(pool, |db| {
        sqlx::query(
        "INSERT INTO key_alerts (service_id, key_id, kind, period, detail, raised_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING",
    )
    .bind(Id(service_id))
    .bind(key_id.map(Id))
    .bind(kind)
    .bind(period)
    .bind(detail)
    .bind(clock::now())
    .execute(db)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(inserted == 1)
}

/// Runs the alert rules on the hour of `now` and the one before (so an
/// hour's last minute counts too), and puts keys that reached their expiry
/// on the audit log. Returns the alerts raised.
pub async fn raise_alerts(pool: &Store, now: Timestamp) -> anyhow::Result<usize> {
    let mut raised = 0;
    for hour_start in [now.time() - time::Duration::hours(1), now.time()] {
        let hour = hour_of(hour_start);
        let busy: Vec<(String, String, String, i64)> = on_backend!(pool, |db| sqlx::query_as(
            "SELECT CAST(k.id AS TEXT), CAST(k.service_id AS TEXT), k.name, CAST(sum(u.n) AS BIGINT)
             FROM key_usage u JOIN api_keys k ON k.id = u.key_id
             WHERE u.hour = $1 AND u.metric LIKE '%:sent' GROUP BY k.id HAVING sum(u.n) >= $2",
        )
        .bind(Hour(&hour))
        .bind(SPIKE_FLOOR)
        .fetch_all(db)
        .await)?;
        for (key_id, service_id, name, sent) in busy {
            let from = hour_of(hour_start - time::Duration::hours(BASELINE_HOURS));
            let (week,): (i64,) = on_backend!(pool, |db| sqlx::query_as(
                "SELECT CAST(coalesce(sum(n), 0) AS BIGINT) FROM key_usage
                 WHERE key_id = $1 AND hour >= $2 AND hour < $3 AND metric LIKE '%:sent'",
            )
            .bind(Id(&key_id))
            .bind(Hour(&from))
            .bind(Hour(&hour))
            .fetch_one(db)
            .await)?;
            if is_send_spike(sent, week) {
                let average = week as f64 / BASELINE_HOURS as f64;
                let detail = format!(
                    "‘{name}’ sent {sent} messages in the hour from {}, against an average of {average:.0} an hour over the 7 days before",
                    datetime_short(hour_start.replace_minute(0).unwrap_or(hour_start).replace_second(0).unwrap_or(hour_start))
                );
                raised += usize::from(raise(pool, &service_id, Some(&key_id), "send_spike", &hour, &detail).await?);
            }
        }
        let refused: Vec<(String, i64)> = on_backend!(pool, |db| sqlx::query_as(
            "SELECT CAST(service_id AS TEXT), n FROM service_refusals WHERE hour = $1 AND n >= $2"
        )
        .bind(Hour(&hour))
        .bind(REFUSAL_BURST)
        .fetch_all(db)
        .await)?;
        for (service_id, n) in refused {
            let detail = format!(
                "{n} requests naming this service were refused in the hour from {}",
                datetime_short(
                    hour_start.replace_minute(0).unwrap_or(hour_start).replace_second(0).unwrap_or(hour_start)
                )
            );
            raised += usize::from(raise(pool, &service_id, None, "refusals", &hour, &detail).await?);
        }
    }
    audit_expired_keys(pool, now).await?;
    Ok(raised)
}

/// Puts each key that reached its own expiry (unrevoked) on the audit log,
/// once, at the time it expired.
async fn audit_expired_keys(pool: &Store, now: Timestamp) -> anyhow::Result<()> {
    let expired: Vec<(String, String, String, Timestamp, Option<String>)> = on_backend!(pool, |db| {
        sqlx::query_as(
        "SELECT CAST(id AS TEXT), CAST(service_id AS TEXT), name, expires_at, CAST(rotated_to AS TEXT) FROM api_keys
         WHERE expiry_audited = FALSE AND expiry_date IS NULL AND expires_at IS NOT NULL AND expires_at <= $1
         LIMIT 500",
    )
    .bind(now)
    .fetch_all(db)
    .await
    })?;
    for (id, service_id, name, at, rotated_to) in expired {
        let why = if rotated_to.is_some() { " at the end of its rotation" } else { "" };
        let mut write = pool.begin_write().await?;
        on_tx!(&mut write, |tx| {
            sqlx::query("INSERT INTO audit_events (service_id, at, api_key_id, description) VALUES ($1, $2, $3, $4)")
                .bind(Id(&service_id))
                .bind(at)
                .bind(Id(&id))
                .bind(format!("API key ‘{name}’ expired{why}"))
                .execute(&mut **tx)
                .await?;
            sqlx::query("UPDATE api_keys SET expiry_audited = TRUE WHERE id = $1")
                .bind(Id(&id))
                .execute(&mut **tx)
                .await?;
        });
        write.commit().await?;
    }
    Ok(())
}

/// The idle-key alerts `uses` would raise: for each key whose previous use
/// (or creation, if never used) is [`key_usage::IDLE_DAYS`] or more before
/// this use, `(service id, key id, hour, detail)`. Read before the uses are
/// written; [`UsageTx::insert_idle_alerts`] writes them.
pub(super) async fn idle_key_alerts(
    pool: &Store,
    uses: &[(String, Timestamp)],
) -> anyhow::Result<Vec<(String, String, String, String)>> {
    let mut alerts = Vec::new();
    for (key_id, at) in uses {
        let used = *at;
        let threshold = used - time::Duration::days(key_usage::IDLE_DAYS);
        let idle: Option<(String, String, Option<Timestamp>, Timestamp)> = on_backend!(pool, |db| sqlx::query_as(
            "SELECT CAST(service_id AS TEXT), name, last_used_at, created_at FROM api_keys
             WHERE id = $1 AND coalesce(last_used_at, created_at) < $2",
        )
        .bind(Id(key_id))
        .bind(threshold)
        .fetch_optional(db)
        .await)?;
        let Some((service_id, name, last_used, created)) = idle else { continue };
        let before = match last_used {
            Some(t) => format!("last used {}", long_date(t.time())),
            None => format!("never used since it was created {}", long_date(created.time())),
        };
        let detail = format!("‘{name}’ was used {} after {before}", datetime_short(used.time()));
        alerts.push((service_id, key_id.clone(), hour_of(used.time()), detail));
    }
    Ok(alerts)
}

tx_methods! {
    /// Key usage written inside a transaction.
    pub(crate) trait UsageTx {
        /// Writes alerts from [`idle_key_alerts`] (each once).
        async fn insert_idle_alerts(&mut self, alerts: &[(String, String, String, String)]) -> anyhow::Result<()> {
            for (service_id, key_id, hour, detail) in alerts {
                sqlx::query(
                    "INSERT INTO key_alerts (service_id, key_id, kind, period, detail, raised_at)
                     VALUES ($1, $2, 'idle_key_used', $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(Id(service_id))
                .bind(Id(key_id))
                .bind(hour)
                .bind(detail)
                .bind(clock::now())
                .execute(&mut **self)
                .await?;
            }
            Ok(())
        }
    }
}

/// `12 November 2025`, London time.
fn long_date(t: time::OffsetDateTime) -> String {
    let local = crate::domain::london_time::to_london(t);
    format!("{} {} {}", local.day(), local.month(), local.year())
}
