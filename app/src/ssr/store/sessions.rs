//! Sessions (only the digest of the id is stored), sign-in failures for throttling, and flash messages.

use super::backend::{on_backend, Backend, Id};
use super::Store;
use crate::domain::Timestamp;
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

#[derive(Clone, Debug, FromRow)]
pub struct Session {
    pub user_id: String,
    pub csrf_token: String,
    pub last_seen_at: Timestamp,
}

pub async fn create_session(pool: &Store, id_digest: &str, user_id: &str, csrf_token: &str) -> anyhow::Result<()> {
    let now = clock::now();
    on_backend!(pool, |db| sqlx::query(
        "INSERT INTO sessions (id_digest, user_id, csrf_token, created_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id_digest)
    .bind(Id(user_id))
    .bind(csrf_token)
    .bind(now)
    .bind(now)
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .context("could not create a session")?;
    Ok(())
}

/// Loads a session last seen after `idle_cutoff` and marks it seen now. The
/// mark is written at most once every 30 seconds per session, so browsing
/// is not a database write per page.
/// The session with this digest, seen since `idle_cutoff` and started since
/// `lifetime_cutoff`; marked seen now.
pub async fn touch_session(
    pool: &Store,
    id_digest: &str,
    idle_cutoff: Timestamp,
    lifetime_cutoff: Timestamp,
) -> anyhow::Result<Option<Session>> {
    let found = on_backend!(pool, |db| sqlx::query_as::<_, Session>(
        "SELECT CAST(user_id AS TEXT) AS user_id, csrf_token, last_seen_at FROM sessions
         WHERE id_digest = $1 AND last_seen_at > $2 AND created_at > $3",
    )
    .bind(id_digest)
    .bind(idle_cutoff)
    .bind(lifetime_cutoff)
    .fetch_optional(db)
    .await)
    .context("could not load a session")?;
    if let Some(session) = &found {
        if session.last_seen_at < clock::ago(time::Duration::seconds(30)) {
            on_backend!(pool, |db| sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_digest = $2")
                .bind(clock::now())
                .bind(id_digest)
                .execute(db)
                .await
                .map(|done| done.rows_affected()))
            .context("could not mark a session seen")?;
        }
    }
    Ok(found)
}

pub async fn delete_session(pool: &Store, id_digest: &str) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("DELETE FROM sessions WHERE id_digest = $1")
        .bind(id_digest)
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Deletes sessions idle since `idle_cutoff` or started before `lifetime_cutoff`.
pub async fn delete_idle_sessions(
    pool: &Store,
    idle_cutoff: Timestamp,
    lifetime_cutoff: Timestamp,
) -> anyhow::Result<u64> {
    Ok(on_backend!(pool, |db| sqlx::query("DELETE FROM sessions WHERE last_seen_at <= $1 OR created_at <= $2")
        .bind(idle_cutoff)
        .bind(lifetime_cutoff)
        .execute(db)
        .await?
        .rows_affected()))
}

pub async fn record_sign_in_failure(pool: &Store, email_lower: &str) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("INSERT INTO sign_in_failures (email_address, at) VALUES ($1, $2)")
        .bind(email_lower)
        .bind(clock::now())
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Reserves one attempt in `key`'s budget (an address, or `client:` and a
/// client address): recorded as a failure at once, unless `limit` were
/// recorded since `since`. One statement, so parallel attempts cannot all
/// pass the count before any is recorded (on PostgreSQL, whose statements
/// do not wait for one another's commits, also a lock per budget). `None`:
/// the budget is spent.
pub async fn reserve_sign_in_attempt(
    pool: &Store,
    key: &str,
    since: Timestamp,
    limit: i64,
) -> anyhow::Result<Option<i64>> {
    const RESERVE: &str = "INSERT INTO sign_in_failures (email_address, at)
         SELECT $1, $2 WHERE (SELECT count(*) FROM sign_in_failures WHERE email_address = $1 AND at > $3) < $4
         RETURNING id";
    let row: Option<(i64,)> = match &pool.backend {
        Backend::Sqlite(db) => {
            sqlx::query_as(RESERVE).bind(key).bind(clock::now()).bind(since).bind(limit).fetch_optional(db).await?
        }
        Backend::Postgres(db) => {
            let mut tx = db.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))").bind(key).execute(&mut *tx).await?;
            let row = sqlx::query_as(RESERVE)
                .bind(key)
                .bind(clock::now())
                .bind(since)
                .bind(limit)
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            row
        }
    };
    Ok(row.map(|(id,)| id))
}

/// Gives back one reserved attempt (it succeeded, or was never tried).
pub async fn release_sign_in_attempt(pool: &Store, reservation: i64) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("DELETE FROM sign_in_failures WHERE id = $1")
        .bind(reservation)
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn count_sign_in_failures_since(pool: &Store, email_lower: &str, since: Timestamp) -> anyhow::Result<i64> {
    let (n,): (i64,) = on_backend!(pool, |db| sqlx::query_as(
        "SELECT COUNT(*) FROM sign_in_failures WHERE email_address = $1 AND at > $2"
    )
    .bind(email_lower)
    .bind(since)
    .fetch_one(db)
    .await)?;
    Ok(n)
}

pub async fn clear_sign_in_failures(pool: &Store, email_lower: &str) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("DELETE FROM sign_in_failures WHERE email_address = $1")
        .bind(email_lower)
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn delete_sign_in_failures_before(pool: &Store, cutoff: Timestamp) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("DELETE FROM sign_in_failures WHERE at <= $1")
        .bind(cutoff)
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn set_flash(pool: &Store, id_digest: &str, message: &str) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("UPDATE sessions SET flash = $1 WHERE id_digest = $2")
        .bind(message)
        .bind(id_digest)
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Returns the session's flash message, if any, and clears it.
pub async fn take_flash(pool: &Store, id_digest: &str) -> anyhow::Result<Option<String>> {
    let row: Option<(Option<String>,)> =
        on_backend!(pool, |db| sqlx::query_as("SELECT flash FROM sessions WHERE id_digest = $1")
            .bind(id_digest)
            .fetch_optional(db)
            .await)?;
    let flash = row.and_then(|(f,)| f);
    if flash.is_some() {
        on_backend!(pool, |db| sqlx::query("UPDATE sessions SET flash = NULL WHERE id_digest = $1")
            .bind(id_digest)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
    }
    Ok(flash)
}
