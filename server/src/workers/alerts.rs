//! The alerts job: every 10 seconds, runs the rules on unusual key usage
//! (`store::raise_alerts`, thresholds in `app::domain::key_usage`) and puts
//! keys that reached their expiry on the audit log. A key used after a long
//! idle spell is caught as its use is written, not here.

use crate::AppState;
use app::ssr::{clock, store};
use std::time::Duration;

/// Each run reads two hours of the hourly counts by index: cheap enough to
/// show an alert within seconds.
const EVERY: Duration = Duration::from_secs(10);

pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            // Counts still in memory first, so the rules see them.
            state.api.flush_usage(&state.pool).await;
            match store::raise_alerts(&state.pool, clock::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(alerts = n, "alerts raised on unusual API key usage"),
                Err(e) => tracing::warn!(error = ?e, "alerts job failed"),
            }
        }
    });
}
