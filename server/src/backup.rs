//! Backups of the SQLite store: `server backup --to FILE` copies the
//! database while the server serves it (SQLite's `VACUUM INTO`: one read
//! transaction, so the copy is the database as it was at one moment, and
//! writers go on meanwhile); `server restore --from FILE` puts a copy back,
//! only while no server has the database open ([`ServerLock`]).
//!
//! A copy holds secrets sealed under the server key: keep the key
//! (`NOTIFY_SECRET_KEY`, or `secret.key` in the data folder) with it, apart
//! from it. Without the key a restored database's API keys, callback tokens
//! and signing secrets cannot be opened.

use anyhow::{bail, Context};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::ConnectOptions;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The database file a `sqlite:` URL names.
pub fn database_file(database_url: &str) -> anyhow::Result<PathBuf> {
    let options = SqliteConnectOptions::from_str(database_url).context("DATABASE_URL is not a SQLite URL")?;
    Ok(options.get_filename().to_path_buf())
}

/// The lock a serving process holds on its database (`{database}.lock`,
/// an exclusive file lock): released when the process ends, however it ends,
/// so a restore can tell whether a server is using the database.
pub struct ServerLock {
    _file: File,
}

impl ServerLock {
    /// Takes the lock, or says that another process holds it.
    pub fn take(database: &Path) -> anyhow::Result<Self> {
        let path = lock_path(database);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("could not create {}", parent.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("could not open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                bail!("a server is using {} (it holds {})", database.display(), path.display())
            }
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("could not lock {}", path.display()))
            }
        }
    }
}

impl ServerLock {
    /// The lock for the database a URL names (`None` for an in-memory one).
    pub fn for_database_url(database_url: &str) -> anyhow::Result<Option<Self>> {
        // PostgreSQL serves several instances; it is backed up with its own
        // tools, never restored by us.
        if app::ssr::store::is_postgres_url(database_url) {
            return Ok(None);
        }
        let file = database_file(database_url)?;
        if file.as_os_str().is_empty() || file == Path::new(":memory:") {
            return Ok(None);
        }
        Self::take(&file).map(Some)
    }
}

fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// What a copy holds, as read back from it.
#[derive(Debug)]
pub struct BackupFile {
    pub bytes: u64,
    pub notifications: i64,
    pub services: i64,
    pub migration: i64,
}

/// Opens `file` read-only and checks it is a whole database of ours.
async fn check_copy(file: &Path) -> anyhow::Result<BackupFile> {
    let options = SqliteConnectOptions::new().filename(file).read_only(true).disable_statement_logging();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .with_context(|| format!("{} is not a SQLite database", file.display()))?;
    let check: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&pool)
        .await
        .with_context(|| format!("{} is not a SQLite database", file.display()))?;
    if check != "ok" {
        bail!("{} is damaged: {check}", file.display());
    }
    let migration: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .with_context(|| format!("{} is not a database of this service", file.display()))?;
    let notifications = sqlx::query_scalar("SELECT count(*) FROM notifications").fetch_one(&pool).await?;
    let services = sqlx::query_scalar("SELECT count(*) FROM services").fetch_one(&pool).await?;
    pool.close().await;
    let bytes = std::fs::metadata(file)?.len();
    Ok(BackupFile { bytes, notifications, services, migration: migration.unwrap_or(0) })
}

/// Copies the database to `to` (a new file) while it is in use.
pub async fn backup(pool: &app::ssr::store::Store, to: &Path) -> anyhow::Result<BackupFile> {
    if to.exists() {
        bail!("{} already exists: give a new file", to.display());
    }
    let Some(db) = pool.sqlite() else {
        bail!("server backup copies a SQLite database: back PostgreSQL up with pg_dump or its point-in-time recovery");
    };
    let target = to.to_str().context("the backup's path is not UTF-8")?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(db)
        .await
        .with_context(|| format!("could not write {}", to.display()))?;
    File::open(to)?.sync_all()?;
    check_copy(to).await
}

/// Puts the copy `from` in place of `database`, which no server may be
/// using. The database it replaces (with its log) is kept beside it, named
/// `{database}.before-restore-{time}`.
pub async fn restore(database: &Path, from: &Path) -> anyhow::Result<(BackupFile, Option<PathBuf>)> {
    let _lock = ServerLock::take(database).context("stop the server first")?;
    let copy = check_copy(from).await?;
    let newest = app::ssr::store::newest_migration();
    if copy.migration > newest {
        bail!(
            "{} was made by a newer version of this service (migration {}; this one knows up to {newest})",
            from.display(),
            copy.migration
        );
    }
    let kept = if database.exists() {
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let aside = with_suffix(database, &format!(".before-restore-{stamp}"));
        for extra in ["", "-wal", "-shm"] {
            let file = with_suffix(database, extra);
            if file.exists() {
                std::fs::rename(&file, with_suffix(&aside, extra))
                    .with_context(|| format!("could not move {} aside", file.display()))?;
            }
        }
        Some(aside)
    } else {
        if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        None
    };
    let partial = with_suffix(database, ".restoring");
    std::fs::copy(from, &partial).with_context(|| format!("could not copy {}", from.display()))?;
    File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, database)?;
    if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        File::open(parent)?.sync_all()?;
    }
    Ok((copy, kept))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
