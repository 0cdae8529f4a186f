//! Housekeeping of the store: the WAL checkpoints, and sessions and sign-in
//! failures past their time.

use app::ssr::clock;
use app::ssr::store::{self, Store};
use std::time::Duration;

/// Checkpoints the database's WAL four times a second, off the request path
/// (at full load a second of sends is about 20 MB of log).
pub fn spawn_checkpoints(pool: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tick.tick().await;
            if let Err(e) = store::checkpoint(&pool).await {
                tracing::warn!(error = ?e, "checkpoint failed");
            }
        }
    });
}

/// Removes sessions idle past the limit or past their lifetime, and sign-in
/// failures older than an hour, every 5 minutes.
pub fn spawn_session_cleanup(pool: Store, limits: crate::config::SessionLimits) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            if let Err(e) = store::delete_idle_sessions(&pool, limits.idle_cutoff(), limits.lifetime_cutoff()).await {
                tracing::warn!(error = ?e, "could not remove old sessions");
            }
            if let Err(e) = store::delete_sign_in_failures_before(&pool, clock::ago(time::Duration::hours(1))).await {
                tracing::warn!(error = ?e, "could not remove old sign-in failures");
            }
        }
    });
}
