//! All SQL lives here, one module per aggregate: named functions over a
//! [`Pool`]. Pages and handlers never write SQL, so a second database
//! backend is this folder's work. Writers announce what they changed
//! ([`Change`]) after they commit; readers that cache (the API's per-service
//! snapshot) subscribe.

mod api_keys;
mod audit;
mod callbacks;
mod guest_list;
mod inbound;
mod jobs;
mod letters;
mod notifications;
mod reseal;
mod retention;
mod security_keys;
mod senders;
mod services;
mod sessions;
mod team;
mod templates;
mod uploads;
mod usage;
mod users;
mod verify_codes;

pub use api_keys::*;
pub use audit::*;
pub use callbacks::*;
pub use guest_list::*;
pub use inbound::*;
pub use jobs::*;
pub use letters::*;
pub use notifications::*;
pub use reseal::*;
pub use retention::*;
pub use security_keys::*;
pub use senders::*;
pub use services::*;
pub use sessions::*;
pub use team::*;
pub use templates::*;
pub use uploads::*;
pub use usage::*;
pub use users::*;
pub use verify_codes::*;

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::broadcast;

/// What a write changed, announced after its commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A service's settings, permissions, limits or keys.
    Service(String),
    /// A job was made that is to be sent now (the job worker wakes).
    JobWaiting,
}

/// Announcements a slow subscriber may fall behind by before it is told it
/// lagged (and must then treat everything as changed).
const CHANGE_BACKLOG: usize = 1024;

/// The database, and the feed of changes its writers announce. Another
/// instance on a shared database would feed the same channel from the
/// database's own notifications (PostgreSQL `LISTEN`, say); subscribers stay
/// as they are.
#[derive(Clone, Debug)]
pub struct Pool {
    db: SqlitePool,
    changes: broadcast::Sender<Change>,
    /// Whose turn it is to write (see [`Pool::write_turn`]).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Writers of the API's sends waiting for their turn (see
    /// [`Pool::write_turn_for_sends`]).
    sends_waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Pool {
    /// Changes announced from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// The SQLite pool itself, for tests that inspect what was stored.
    pub fn sqlite(&self) -> &SqlitePool {
        &self.db
    }

    fn changed(&self, change: Change) {
        // No subscriber is fine: nothing caches.
        let _ = self.changes.send(change);
    }

    fn service_changed(&self, service_id: &str) {
        self.changed(Change::Service(service_id.to_string()));
    }

    /// Waits for this process's turn to write, in order of asking.
    ///
    /// SQLite has one writer. When two connections want it at once, the one
    /// refused sleeps in SQLite's busy handler (1, 2, 5, 10 … 100 ms, not
    /// woken when the lock is free), so under load the group commit of
    /// sends, the test-key delivery, the callback outcomes and the
    /// checkpoint took turns by sleeping: idle cores, and sends held for tens
    /// or hundreds of milliseconds. The busy writers (those that run under
    /// load) take this turn first and hold it until they have committed:
    /// waiting is then a queue that wakes the next writer the moment the last
    /// one is done. Rare writes (the admin's forms) still rely on the busy
    /// timeout.
    pub(crate) async fn write_turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.writer.clone().lock_owned().await
    }

    /// [`Pool::write_turn`] for sends someone is waiting for (the API's
    /// group commit, a message sent from the admin): while one waits, the
    /// writers of bulk work (a job's rows) commit what they have and let it
    /// go first ([`Pool::sends_waiting`]).
    pub(crate) async fn write_turn_for_sends(&self) -> tokio::sync::OwnedMutexGuard<()> {
        use std::sync::atomic::Ordering;
        self.sends_waiting.fetch_add(1, Ordering::SeqCst);
        let turn = self.writer.clone().lock_owned().await;
        self.sends_waiting.fetch_sub(1, Ordering::SeqCst);
        turn
    }

    /// Whether sends are waiting for the writer now.
    pub(crate) fn sends_waiting(&self) -> bool {
        self.sends_waiting.load(std::sync::atomic::Ordering::SeqCst) > 0
    }

    /// A transaction that will write: `BEGIN IMMEDIATE`, so it holds the
    /// write lock from its first statement.
    ///
    /// A plain (deferred) `BEGIN` reads from a snapshot and asks for the lock
    /// only at its first write. In WAL mode, if another connection committed
    /// in between, that write fails at once with "database is locked"
    /// (`SQLITE_BUSY_SNAPSHOT`): the busy timeout cannot help, as waiting
    /// would not make the snapshot current. Every store write that reads
    /// first (is the member the last manager? is the key already revoked?)
    /// met this whenever a worker committed beside it. Taking the lock at
    /// `BEGIN` waits in the busy timeout instead, and the reads see the
    /// latest commit.
    pub(crate) async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.db.begin_with("BEGIN IMMEDIATE").await
    }
}

/// Opens (creating if missing, with its folder) the SQLite database at
/// `url`, in WAL mode with foreign keys on, and runs the migrations.
pub async fn connect(url: &str) -> anyhow::Result<Pool> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| "DATABASE_URL is not a SQLite URL")?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // Every commit is synced: a 201 survives a power cut, not only a
        // crash (NORMAL in WAL mode can lose the last commits). Measured cost:
        // about 8% of the send rate (bench/api.sh, README).
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // Checkpoints run from a background task (`checkpoint`), not inside
        // whichever request happens to commit the thousandth page.
        .pragma("wal_autocheckpoint", "0")
        // Past 64 MB the log is cut back when it next starts again.
        .pragma("journal_size_limit", "67108864");
    let file = options.get_filename();
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        if file != Path::new(":memory:") {
            std::fs::create_dir_all(parent).with_context(|| format!("could not create {}", parent.display()))?;
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .min_connections(1)
        // A connection whose transaction could not be ended (a ROLLBACK that
        // SQLite refused after a failed write, for one) is closed, never
        // handed out again: a transaction begun on it would only be a
        // savepoint inside the stale one, and its "commit" would commit
        // nothing (a send answered 201 that no other connection could read,
        // seen with a full disk). Closing the connection rolls the stale
        // transaction back and frees the write lock it held.
        .before_acquire(|conn, _| {
            Box::pin(async move {
                use sqlx::Connection;
                if conn.is_in_transaction() {
                    tracing::warn!("a database connection was left inside a transaction: closed");
                    return Ok(false);
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .context("could not open the database")?;
    sqlx::migrate!("./migrations").run(&pool).await.context("could not run the migrations")?;
    let (changes, _) = broadcast::channel(CHANGE_BACKLOG);
    Ok(Pool { db: pool, changes, writer: Default::default(), sends_waiting: Default::default() })
}

/// The newest migration this build knows: a database from a newer build
/// is not restored into it.
pub fn newest_migration() -> i64 {
    sqlx::migrate!("./migrations").iter().map(|m| m.version).max().unwrap_or(0)
}

/// Copies the WAL back into the database without blocking writers.
///
/// Under continuous load a PASSIVE checkpoint never finds a moment without
/// readers, so the log only grows (2 GB after 90 s of sends, issue 10): once
/// it holds more than [`WAL_RESET_FRAMES`] pages, a RESTART checkpoint holds
/// writers back while it copies the rest, and the next writer starts again
/// at the start of the file. (TRUNCATE also emptied the file, which each
/// writer then had to grow again: `bench/api.sh`, p99 17.5 / 17.8 ms with it,
/// 11.7 / 13.2 ms with RESTART. The file stays at its largest, about 20 MB;
/// `journal_size_limit` cuts it back should a long reader ever let it grow.)
pub async fn checkpoint(pool: &Pool) -> anyhow::Result<()> {
    let (_busy, log_frames, _copied): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&pool.db).await?;
    if log_frames > WAL_RESET_FRAMES {
        // Writers would be held anyway: they wait in the queue, not asleep.
        let _turn = pool.write_turn().await;
        sqlx::query("PRAGMA wal_checkpoint(RESTART)").execute(&pool.db).await?;
    }
    Ok(())
}

/// Pages in the write-ahead log past which the checkpoint starts it again
/// (4,096 pages of 4 KB: 16 MB).
pub const WAL_RESET_FRAMES: i64 = 4096;

/// Whether `error` says the database's storage is full (SQLite's
/// `SQLITE_FULL`, or the operating system's "no space left on device"): a
/// refusal that passes when space returns, not a fault in the request.
pub fn is_storage_full(error: &anyhow::Error) -> bool {
    const SQLITE_FULL: &str = "13";
    error.chain().any(|cause| match cause.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(db)) => db.code().as_deref() == Some(SQLITE_FULL),
        Some(sqlx::Error::Io(io)) => io.kind() == std::io::ErrorKind::StorageFull,
        _ => cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull),
    })
}

pub async fn ping(pool: &Pool) -> bool {
    sqlx::query("SELECT 1").execute(&pool.db).await.is_ok()
}

/// A new row id (a random UUID).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
