//! How long each service keeps its messages, and the deletion of those past
//! it.

use super::backend::{on_backend, Id};
use super::Store;
use crate::domain::retention::{Retention, RetentionDays};
use crate::domain::TemplateType;
use crate::domain::Timestamp;
use anyhow::Context;

/// The service's retention, channel by channel (7 days where none is set).
pub async fn retention(pool: &Store, service_id: &str) -> anyhow::Result<Retention> {
    let rows: Vec<(TemplateType, i64)> = on_backend!(pool, |db| sqlx::query_as(
        "SELECT notification_type, days_of_retention FROM service_data_retention WHERE service_id = $1"
    )
    .bind(Id(service_id))
    .fetch_all(db)
    .await)
    .context("could not load data retention")?;
    let mut retention = Retention::default();
    for (t, days) in rows {
        if let Ok(days) = RetentionDays::new(days) {
            retention.set(t, days);
        }
    }
    Ok(retention)
}

pub async fn set_retention(
    pool: &Store,
    service_id: &str,
    notification_type: TemplateType,
    days: RetentionDays,
) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query(
        "INSERT INTO service_data_retention (service_id, notification_type, days_of_retention) VALUES ($1, $2, $3)
         ON CONFLICT (service_id, notification_type) DO UPDATE SET days_of_retention = excluded.days_of_retention",
    )
    .bind(Id(service_id))
    .bind(notification_type)
    .bind(i64::from(days.days()))
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .context("could not set data retention")?;
    Ok(())
}

/// Every service's id, for the retention job.
pub async fn service_ids(pool: &Store) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String,)> =
        on_backend!(pool, |db| sqlx::query_as("SELECT CAST(id AS TEXT) AS id FROM services").fetch_all(db).await)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Deletes at most `batch` of the service's notifications of one channel
/// created before `before`, with their outbox copies (the foreign key
/// cascades) and their personalisation (in the row). Returns how many went;
/// each call is one short transaction, so sends wait at most one batch.
pub async fn delete_expired_notifications(
    pool: &Store,
    service_id: &str,
    notification_type: TemplateType,
    before: Timestamp,
    batch: i64,
) -> anyhow::Result<u64> {
    let _turn = pool.write_turn().await;
    // SQLite finds the rows by `rowid`, PostgreSQL by its primary key.
    let sql = if pool.is_postgres() {
        "DELETE FROM notifications WHERE id IN (
           SELECT id FROM notifications
           WHERE service_id = $1 AND notification_type = $2 AND key_type IN ('normal', 'team', 'test')
             AND created_at < $3
           LIMIT $4)"
    } else {
        "DELETE FROM notifications WHERE rowid IN (
           SELECT rowid FROM notifications
           WHERE service_id = $1 AND notification_type = $2 AND key_type IN ('normal', 'team', 'test')
             AND created_at < $3
           LIMIT $4)"
    };
    let done = on_backend!(pool, |db| sqlx::query(sql)
        .bind(Id(service_id))
        .bind(notification_type)
        .bind(before)
        .bind(batch)
        .execute(db)
        .await
        .map(|done| done.rows_affected()))
    .context("could not delete expired notifications")?;
    Ok(done)
}

/// `EXPLAIN QUERY PLAN` of the queries that must cost the same with ten
/// million notifications as with ten thousand: the retention delete, the
/// daily-limit count and the hub's message log.
#[doc(hidden)]
pub async fn history_query_plans(pool: &Store) -> anyhow::Result<Vec<(String, String)>> {
    let mut plans = Vec::new();
    for (name, sql) in [
        (
            "retention delete",
            "EXPLAIN QUERY PLAN SELECT rowid FROM notifications WHERE service_id = 'x' AND notification_type =
             'email' AND key_type IN ('normal', 'team', 'test') AND created_at < 'y'
             LIMIT 1000",
        ),
        (
            "daily limit",
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM notifications
             WHERE service_id = 'x' AND notification_type = 'email' AND key_type IN ('normal', 'team') AND created_at >= 'y'",
        ),
        (
            "message log",
            "EXPLAIN QUERY PLAN SELECT n.id FROM notifications n LEFT JOIN api_keys k ON k.id = n.api_key_id
             LEFT JOIN callback_events e ON e.id = (
               SELECT id FROM callback_events WHERE notification_id = n.id ORDER BY created_at DESC LIMIT 1)
             WHERE n.service_id = 'x' ORDER BY n.created_at DESC, n.id DESC LIMIT 50",
        ),
    ] {
        let db = pool.sqlite().context("a query plan of SQLite's")?;
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(sql).fetch_all(db).await?;
        plans.push((name.to_string(), rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; ")));
    }
    Ok(plans)
}
