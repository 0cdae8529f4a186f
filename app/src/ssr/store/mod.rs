//! All SQL lives here, one module per aggregate: named functions over a
//! [`Store`], the one database the rest of the code knows, on SQLite or
//! PostgreSQL (chosen at start-up from `DATABASE_URL`; see [`backend`] for
//! how a function is written for both). Pages and handlers never write SQL.
//! Writers announce what they changed ([`Change`]) after they commit;
//! readers that cache (the API's per-service snapshot) subscribe.

mod api_keys;
mod audit;
pub(crate) mod backend;
mod callbacks;
mod guest_list;
mod inbound;
mod jobs;
mod leader;
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
pub use leader::*;
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
use backend::{Backend, WriteTx};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::broadcast;

/// The PostgreSQL advisory lock [`Store::begin_write`] takes (any number
/// no other lock of ours uses: "notify" in ASCII).
pub const WRITE_LOCK: i64 = 0x6e6f_7469_6679;

/// What a write changed, announced after its commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A service's settings, permissions, limits or keys.
    Service(String),
    /// A job was made that is to be sent now (the job worker wakes).
    JobWaiting,
    /// Anything may have changed: announcements from other instances may
    /// have been missed (the listener's connection to PostgreSQL dropped).
    Everything,
}

impl Change {
    /// The change as another instance hears it (`NOTIFY`'s payload).
    fn payload(&self) -> String {
        match self {
            Change::Service(id) => format!("service:{id}"),
            Change::JobWaiting => "job".to_string(),
            Change::Everything => "everything".to_string(),
        }
    }

    fn from_payload(payload: &str) -> Self {
        match payload.strip_prefix("service:") {
            Some(id) => Change::Service(id.to_string()),
            None if payload == "job" => Change::JobWaiting,
            // Unknown (a newer instance's): the safe reading.
            None => Change::Everything,
        }
    }
}

/// The PostgreSQL channel on which instances announce their changes.
pub const CHANGES_CHANNEL: &str = "notify_api_changes";

/// Announcements a slow subscriber may fall behind by before it is told it
/// lagged (and must then treat everything as changed).
const CHANGE_BACKLOG: usize = 1024;

/// The database, and the feed of changes its writers announce. Another
/// instance on a shared database would feed the same channel from the
/// database's own notifications (PostgreSQL `LISTEN`, say); subscribers stay
/// as they are.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    changes: broadcast::Sender<Change>,
    /// Whose turn it is to write (see [`Store::write_turn`]).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Writers of the API's sends waiting for their turn (see
    /// [`Store::write_turn_for_sends`]).
    sends_waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// This process's name on the leases it takes in a shared database (a
    /// random UUID per connection: one per instance).
    instance: std::sync::Arc<str>,
    /// Changes being announced to the other instances ([`Store::settle`]).
    announcing: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Store {
    /// Changes announced from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// The SQLite pool, on a SQLite store: for SQLite's own tools (the
    /// backup) and for tests that inspect what was stored.
    pub fn sqlite(&self) -> Option<&SqlitePool> {
        match &self.backend {
            Backend::Sqlite(db) => Some(db),
            Backend::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, on a PostgreSQL store: for a function whose
    /// SQL differs between the backends.
    pub fn postgres(&self) -> Option<&sqlx::PgPool> {
        match &self.backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres(db) => Some(db),
        }
    }

    /// Whether the store is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// The SQLite pool, in a function that has answered PostgreSQL already
    /// ([`Store::postgres`]) and goes on in SQLite's own dialect.
    pub(crate) fn sqlite_arm(&self) -> anyhow::Result<&SqlitePool> {
        self.sqlite().ok_or_else(|| anyhow::anyhow!("SQLite's statement was asked of PostgreSQL"))
    }

    fn changed(&self, change: Change) {
        // Other instances on the same PostgreSQL hear it through `NOTIFY`
        // ([`Store::listen_for_changes`]); the write has committed.
        if let Backend::Postgres(db) = &self.backend {
            let db = db.clone();
            let payload = change.payload();
            let announcing = self.announcing.clone();
            announcing.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let sent =
                    sqlx::query("SELECT pg_notify($1, $2)").bind(CHANGES_CHANNEL).bind(payload).execute(&db).await;
                if let Err(e) = sent {
                    // The other instances' snapshots expire within a second
                    // all the same.
                    tracing::warn!(error = %e, "could not announce a change to other instances");
                }
                announcing.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
        // No subscriber is fine: nothing caches.
        let _ = self.changes.send(change);
    }

    /// Waits (at most 2 s) until every change announced so far has been
    /// sent to the other instances: for a short-lived process (an admin
    /// command) before it ends.
    pub async fn settle(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while self.announcing.load(std::sync::atomic::Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// On PostgreSQL, hears the changes other instances announce and feeds
    /// them to this store's subscribers, as its own writers' are. Whenever
    /// the listener's connection drops (announcements made meanwhile are
    /// lost), subscribers are told [`Change::Everything`]. Nothing to do on
    /// SQLite: one process writes.
    pub fn listen_for_changes(&self) {
        let Backend::Postgres(db) = &self.backend else { return };
        let (db, changes) = (db.clone(), self.changes.clone());
        tokio::spawn(async move {
            loop {
                let mut listener = match sqlx::postgres::PgListener::connect_with(&db).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not listen for other instances' changes; trying again");
                        let _ = changes.send(Change::Everything);
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                if let Err(e) = listener.listen(CHANGES_CHANNEL).await {
                    tracing::warn!(error = %e, "could not listen for other instances' changes; trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                // Whatever was announced before this listener heard it.
                let _ = changes.send(Change::Everything);
                loop {
                    match listener.try_recv().await {
                        Ok(Some(n)) => {
                            let _ = changes.send(Change::from_payload(n.payload()));
                        }
                        // The connection dropped: `try_recv` connects again
                        // next time, and what was said meanwhile is lost.
                        Ok(None) => {
                            let _ = changes.send(Change::Everything);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "lost the connection hearing other instances' changes");
                            let _ = changes.send(Change::Everything);
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            break;
                        }
                    }
                }
            }
        });
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

    /// [`Store::write_turn`] for sends someone is waiting for (the API's
    /// group commit, a message sent from the admin): while one waits, the
    /// writers of bulk work (a job's rows) commit what they have and let it
    /// go first ([`Store::sends_waiting`]).
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
    ///
    /// On PostgreSQL the same: the transaction first takes one advisory
    /// lock ([`WRITE_LOCK`]) held to its end, so these writes take turns
    /// across every instance as they do on SQLite, and every rule that
    /// reads before it writes (the last manager, a name not taken, a key
    /// not yet revoked) holds under READ COMMITTED as it does there. The
    /// busy paths (sends, callbacks, jobs) do not come through here.
    pub(crate) async fn begin_write(&self) -> sqlx::Result<WriteTx> {
        Ok(match &self.backend {
            Backend::Sqlite(db) => WriteTx::Sqlite(db.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres(db) => {
                let mut tx = db.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_LOCK).execute(&mut *tx).await?;
                WriteTx::Postgres(tx)
            }
        })
    }

    /// A write transaction of the busy paths (the sends' group commit, the
    /// providers' outcomes, receipts, callbacks' attempts, jobs): on SQLite
    /// `BEGIN IMMEDIATE`, as [`Store::begin_write`]; on PostgreSQL a plain
    /// transaction, without the admin writes' advisory lock, so instances
    /// write side by side. These writes read nothing they then rely on
    /// without saying so in the write itself (`WHERE status = …`), or take
    /// their rows with `FOR UPDATE SKIP LOCKED`.
    pub(crate) async fn begin_busy_write(&self) -> sqlx::Result<WriteTx> {
        Ok(match &self.backend {
            Backend::Sqlite(db) => WriteTx::Sqlite(db.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres(db) => WriteTx::Postgres(db.begin().await?),
        })
    }
}

/// Whether `url` names a PostgreSQL database (`postgres://` or
/// `postgresql://`), not SQLite.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Opens the database at `url` and runs its migrations: PostgreSQL for a
/// `postgres://` URL ([`connect_postgres`]), SQLite otherwise
/// ([`connect_sqlite`]).
pub async fn connect(url: &str) -> anyhow::Result<Store> {
    if is_postgres_url(url) {
        connect_postgres(url).await
    } else {
        connect_sqlite(url).await
    }
}

fn store(backend: Backend) -> Store {
    let (changes, _) = broadcast::channel(CHANGE_BACKLOG);
    Store {
        backend,
        changes,
        writer: Default::default(),
        sends_waiting: Default::default(),
        instance: new_id().into(),
        announcing: Default::default(),
    }
}

/// Opens the PostgreSQL database at `url` and runs its migrations
/// (`migrations-postgres`).
///
/// Several instances may start at once: sqlx's migrator holds a
/// PostgreSQL advisory lock while it runs, so one applies each migration
/// and the others wait, then find nothing left to do
/// (`server/tests/postgres_store.rs`).
pub async fn connect_postgres(url: &str) -> anyhow::Result<Store> {
    let options = sqlx::postgres::PgConnectOptions::from_str(url)
        .map_err(|_| anyhow::anyhow!("DATABASE_URL is not a PostgreSQL URL"))?
        .application_name("notify-api");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .min_connections(1)
        // A request never waits long for a connection: with the database
        // gone it is refused within a second (Notify's 500 JSON, the error
        // page), rather than hanging.
        .acquire_timeout(Duration::from_secs(1))
        .connect_with(options)
        .await
        // The URL may hold a password: it is not part of the message.
        .map_err(|e| anyhow::anyhow!("could not open the PostgreSQL database: {}", postgres_error_kind(&e)))?;
    sqlx::migrate!("./migrations-postgres").run(&pool).await.context("could not run the PostgreSQL migrations")?;
    Ok(store(Backend::Postgres(pool)))
}

/// What went wrong opening PostgreSQL, in words without the URL.
fn postgres_error_kind(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::PoolTimedOut => "no connection within the time allowed".to_string(),
        sqlx::Error::Tls(_) => "the TLS connection failed".to_string(),
        _ => "the connection failed".to_string(),
    }
}

/// Opens (creating if missing, with its folder) the SQLite database at
/// `url`, in WAL mode with foreign keys on, and runs the migrations.
pub async fn connect_sqlite(url: &str) -> anyhow::Result<Store> {
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
    Ok(store(Backend::Sqlite(pool)))
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
pub async fn checkpoint(pool: &Store) -> anyhow::Result<()> {
    // PostgreSQL checkpoints itself.
    let Some(db) = pool.sqlite() else { return Ok(()) };
    let (_busy, log_frames, _copied): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(db).await?;
    if log_frames > WAL_RESET_FRAMES {
        // Writers would be held anyway: they wait in the queue, not asleep.
        let _turn = pool.write_turn().await;
        sqlx::query("PRAGMA wal_checkpoint(RESTART)").execute(db).await?;
    }
    Ok(())
}

/// Pages in the write-ahead log past which the checkpoint starts it again
/// (4,096 pages of 4 KB: 16 MB).
pub const WAL_RESET_FRAMES: i64 = 4096;

/// Whether `error` says the database's storage is full (SQLite's
/// `SQLITE_FULL`, PostgreSQL's `disk_full`, or the operating system's "no space left on device"): a
/// refusal that passes when space returns, not a fault in the request.
pub fn is_storage_full(error: &anyhow::Error) -> bool {
    const SQLITE_FULL: &str = "13";
    // PostgreSQL's `disk_full`.
    const POSTGRES_DISK_FULL: &str = "53100";
    error.chain().any(|cause| match cause.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(db)) => matches!(db.code().as_deref(), Some(SQLITE_FULL | POSTGRES_DISK_FULL)),
        Some(sqlx::Error::Io(io)) => io.kind() == std::io::ErrorKind::StorageFull,
        _ => cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull),
    })
}

/// Whether `error` says the database could not be reached at all (no
/// connection within the pool's time, or the connection dropped): no row of
/// a batch is to blame, and trying each again would only wait again.
pub fn is_unreachable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<sqlx::Error>(),
            Some(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed)
        )
    })
}

pub async fn ping(pool: &Store) -> bool {
    backend::on_backend!(pool, |db| sqlx::query("SELECT 1").execute(db).await.is_ok())
}

/// A new row id (a random UUID).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
