//! The alerts job: every 10 seconds, runs the rules on unusual key usage
//! (`store::raise_alerts`, thresholds in `app::domain::key_usage`), emails
//! new alerts (`app::ssr::platform_emails`) and puts keys that reached their
//! expiry on the audit log. A key used after a long
//! idle spell is caught as its use is written, not here.

use crate::api_v2::runtime::ApiRuntime;
use app::ssr::clock;
use app::ssr::store::{self, Store};
use std::sync::Arc;
use std::time::Duration;

/// Each run reads two hours of the hourly counts by index: cheap enough to
/// show an alert within seconds.
const EVERY: Duration = Duration::from_secs(10);

/// Starts the job: it flushes the API's usage counts first (`api`), and
/// emails each new alert to the members of its service who manage its API
/// integration (links made from `base_url`).
/// Every instance flushes its own counts; the rules run and the emails go
/// while `leader` is held (one instance at a time).
pub fn spawn(pool: Store, api: Arc<ApiRuntime>, base_url: String, leader: store::Leadership) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            // Counts still in memory first, so the rules see them.
            api.flush_usage(&pool).await;
            if !leader.is_held() {
                continue;
            }
            match store::raise_alerts(&pool, clock::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(alerts = n, "alerts raised on unusual API key usage"),
                Err(e) => tracing::warn!(error = ?e, "alerts job failed"),
            }
            // Alerts raised here and those raised as uses were written.
            match app::ssr::platform_emails::email_key_alerts(&pool, &base_url).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(emails = n, "key-usage alerts emailed"),
                Err(e) => tracing::warn!(error = ?e, "could not email key-usage alerts"),
            }
        }
    });
}
