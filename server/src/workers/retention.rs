//! The retention job: deletes each service's notifications once they are
//! older than its retention for their channel, in small batches with a pause
//! between them, so a send never waits behind a long delete.

use app::domain::TemplateType;
use app::ssr::clock;
use app::ssr::store::{self, Store};
use std::time::Duration;

/// Notifications deleted per transaction.
pub const BATCH: i64 = 500;
/// The pause between batches.
const PAUSE: Duration = Duration::from_millis(20);
/// How often the job looks for expired notifications.
const EVERY: Duration = Duration::from_secs(600);

/// Starts the job: a minute after start-up, then every ten minutes.
/// Runs while `leader` is held (one instance at a time).
pub fn spawn(pool: Store, leader: store::Leadership) {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            if !leader.is_held() {
                continue;
            }
            match run_once(&pool).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "expired notifications deleted"),
                Err(e) => tracing::warn!(error = ?e, "retention job failed"),
            }
        }
    });
}

/// One pass over every service and channel; returns how many notifications
/// it deleted.
pub async fn run_once(pool: &Store) -> anyhow::Result<u64> {
    let mut deleted = 0;
    for service_id in store::service_ids(pool).await? {
        let retention = store::retention(pool, &service_id).await?;
        for t in TemplateType::ALL.iter().copied() {
            let days = i64::from(retention.for_type(t).days());
            let before = clock::now() - time::Duration::days(days);
            loop {
                let n = store::delete_expired_notifications(pool, &service_id, t, before, BATCH).await?;
                deleted += n;
                if n < BATCH as u64 {
                    break;
                }
                tokio::time::sleep(PAUSE).await;
            }
            // A job's file (its recipients) goes with its messages.
            store::forget_job_files_before(pool, &service_id, t, before).await?;
        }
        let uploads_before = clock::now() - time::Duration::days(store::UPLOAD_DAYS);
        store::delete_uploads_before(pool, &service_id, uploads_before).await?;
        // Received texts are kept as long as the service's text messages.
        let days = i64::from(retention.for_type(TemplateType::Sms).days());
        let before = clock::now() - time::Duration::days(days);
        deleted += store::delete_received_texts_before(pool, &service_id, before).await?;
    }
    // Keys' hourly usage outlives the messages (their pages chart 30 days,
    // the alerts look back 7): kept for 400 days.
    let before = app::domain::key_usage::hour_of((clock::now() - time::Duration::days(USAGE_DAYS)).time());
    store::delete_usage_before(pool, &before).await?;
    Ok(deleted)
}

/// Days keys' hourly usage counts are kept.
pub const USAGE_DAYS: i64 = 400;
