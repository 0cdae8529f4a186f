//! Bounds on the work one request may cause, so that no request holds an
//! async worker for long (every other request, `/_status` included, waits
//! for a held worker: the runtime has one per core).
//!
//! - Work proportional to a large body (parsing, sanitising, rendering up to
//!   the 4 MiB limit) runs on the blocking pool, a few at a time
//!   ([`off_workers`]); the async workers stay free for everything else.
//! - Every request has a deadline ([`REQUEST_TIMEOUT`]): past it the client
//!   gets an answer (503 page, or Notify's 500 JSON on `/v2`) instead of
//!   waiting forever on something stuck.
//!
//! Functions that take outside text are themselves linear in it (property
//! tests with a time bound beside them); these bounds are the second line.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::Semaphore;

/// A request body at least this large is handled off the async workers.
/// Below it the work is well under a millisecond (bench/api.sh's sends are
/// a few hundred bytes), and moving it would cost the hot path a thread hop.
pub const LARGE_BODY: usize = 64 * 1024;

/// How long any request may take before it is answered with an error.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Large requests handled at once: one per core, so that together they can
/// never take more than the machine while waiting ones cost nothing.
fn lane() -> &'static Semaphore {
    static LANE: OnceLock<Semaphore> = OnceLock::new();
    LANE.get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

/// Runs `work` to completion on a blocking thread (in turn with other large
/// requests), so its CPU time is not spent on an async worker. Its own
/// awaits (the database) still run, on that thread.
pub async fn off_workers<F, T>(work: F) -> anyhow::Result<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let _turn = lane().acquire().await?;
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(work))
        .await
        .map_err(|e| anyhow::anyhow!("a large request's work failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn the_async_worker_answers_while_large_work_runs() {
        // One async worker: if the work ran on it, the tick below could not
        // run until the work had finished.
        let work = off_workers(async {
            std::thread::sleep(Duration::from_millis(300));
            42
        });
        let tick = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            std::time::Instant::now()
        };
        let started = std::time::Instant::now();
        let (answer, ticked) = tokio::join!(work, tick);
        assert_eq!(answer.unwrap(), 42);
        assert!(ticked - started < Duration::from_millis(200), "the worker was held: {:?}", ticked - started);
    }
}
