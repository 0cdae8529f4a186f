//! The job worker: sends jobs one at a time, oldest first (one this
//! process was sending when it stopped, then those waiting, then scheduled
//! ones whose time has come), each through `app::ssr::jobs::send`, which
//! stores its rows a batch at a time with the job's cursor. It wakes when a
//! job is made ([`store::Change::JobWaiting`]) and looks for scheduled jobs
//! every second.

use app::ssr::jobs::Sent;
use app::ssr::store::{self, Store};
use std::time::Duration;

/// How often scheduled jobs are looked for, and the longest a job waits
/// when the worker's wake-up was missed.
const POLL: Duration = Duration::from_secs(1);

pub fn spawn(pool: Store) {
    tokio::spawn(async move {
        let mut changes = pool.subscribe();
        loop {
            match store::claim_next_job(&pool).await {
                Ok(Some(job)) => {
                    let started = std::time::Instant::now();
                    match app::ssr::jobs::send(&pool, &job).await {
                        Ok(Sent::Finished(n)) => tracing::info!(
                            job_id = %job.id,
                            messages = n,
                            seconds = started.elapsed().as_secs_f64(),
                            "job sent"
                        ),
                        Ok(Sent::OverDailyLimit) => {}
                        Err(e) => {
                            // Left `in progress`: taken again from its cursor.
                            tracing::warn!(job_id = %job.id, error = ?e, "a job stopped; it will be taken again");
                            tokio::time::sleep(POLL).await;
                        }
                    }
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = ?e, "could not look for jobs"),
            }
            // Nothing to do: wait for a new job or the next look.
            let _ = tokio::time::timeout(POLL, async {
                loop {
                    match changes.recv().await {
                        Ok(store::Change::JobWaiting) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
            })
            .await;
        }
    });
}
