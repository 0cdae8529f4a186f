//! Sessions (only the digest of the id is stored), sign-in failures for throttling, and flash messages.

use super::Pool;
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

pub async fn create_session(pool: &Pool, id_digest: &str, user_id: &str, csrf_token: &str) -> anyhow::Result<()> {
    let now = clock::now();
    sqlx::query(
        "INSERT INTO sessions (id_digest, user_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(id_digest)
    .bind(user_id)
    .bind(csrf_token)
    .bind(now)
    .bind(now)
    .execute(&pool.db)
    .await
    .context("could not create a session")?;
    Ok(())
}

/// Loads a session last seen after `idle_cutoff` and marks it seen now. The
/// mark is written at most once every 30 seconds per session, so browsing
/// is not a database write per page.
/// The session with this digest, seen since `idle_cutoff` and started since
/// `lifetime_cutoff`; marked seen now.
pub async fn touch_session(
    pool: &Pool,
    id_digest: &str,
    idle_cutoff: Timestamp,
    lifetime_cutoff: Timestamp,
) -> anyhow::Result<Option<Session>> {
    let found = sqlx::query_as::<_, Session>(
        "SELECT user_id, csrf_token, last_seen_at FROM sessions
         WHERE id_digest = ? AND last_seen_at > ? AND created_at > ?",
    )
    .bind(id_digest)
    .bind(idle_cutoff)
    .bind(lifetime_cutoff)
    .fetch_optional(&pool.db)
    .await
    .context("could not load a session")?;
    if let Some(session) = &found {
        if session.last_seen_at < clock::ago(time::Duration::seconds(30)) {
            sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id_digest = ?")
                .bind(clock::now())
                .bind(id_digest)
                .execute(&pool.db)
                .await
                .context("could not mark a session seen")?;
        }
    }
    Ok(found)
}

pub async fn delete_session(pool: &Pool, id_digest: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_digest = ?").bind(id_digest).execute(&pool.db).await?;
    Ok(())
}

/// Deletes sessions idle since `idle_cutoff` or started before `lifetime_cutoff`.
pub async fn delete_idle_sessions(
    pool: &Pool,
    idle_cutoff: Timestamp,
    lifetime_cutoff: Timestamp,
) -> anyhow::Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?")
        .bind(idle_cutoff)
        .bind(lifetime_cutoff)
        .execute(&pool.db)
        .await?
        .rows_affected())
}

pub async fn record_sign_in_failure(pool: &Pool, email_lower: &str) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO sign_in_failures (email_address, at) VALUES (?, ?)")
        .bind(email_lower)
        .bind(clock::now())
        .execute(&pool.db)
        .await?;
    Ok(())
}

/// Reserves one attempt in `key`'s budget (an address, or `client:` and a
/// client address): recorded as a failure at once, unless `limit` were
/// recorded since `since`. One statement, so parallel attempts cannot all
/// pass the count before any is recorded. `None`: the budget is spent.
pub async fn reserve_sign_in_attempt(
    pool: &Pool,
    key: &str,
    since: Timestamp,
    limit: i64,
) -> anyhow::Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO sign_in_failures (email_address, at)
         SELECT ?1, ?2 WHERE (SELECT count(*) FROM sign_in_failures WHERE email_address = ?1 AND at > ?3) < ?4
         RETURNING rowid",
    )
    .bind(key)
    .bind(clock::now())
    .bind(since)
    .bind(limit)
    .fetch_optional(&pool.db)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Gives back one reserved attempt (it succeeded, or was never tried).
pub async fn release_sign_in_attempt(pool: &Pool, reservation: i64) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM sign_in_failures WHERE rowid = ?").bind(reservation).execute(&pool.db).await?;
    Ok(())
}

pub async fn count_sign_in_failures_since(pool: &Pool, email_lower: &str, since: Timestamp) -> anyhow::Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sign_in_failures WHERE email_address = ? AND at > ?")
        .bind(email_lower)
        .bind(since)
        .fetch_one(&pool.db)
        .await?;
    Ok(n)
}

pub async fn clear_sign_in_failures(pool: &Pool, email_lower: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM sign_in_failures WHERE email_address = ?").bind(email_lower).execute(&pool.db).await?;
    Ok(())
}

pub async fn delete_sign_in_failures_before(pool: &Pool, cutoff: Timestamp) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM sign_in_failures WHERE at <= ?").bind(cutoff).execute(&pool.db).await?;
    Ok(())
}

pub async fn set_flash(pool: &Pool, id_digest: &str, message: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE sessions SET flash = ? WHERE id_digest = ?")
        .bind(message)
        .bind(id_digest)
        .execute(&pool.db)
        .await?;
    Ok(())
}

/// Returns the session's flash message, if any, and clears it.
pub async fn take_flash(pool: &Pool, id_digest: &str) -> anyhow::Result<Option<String>> {
    let row: Option<(Option<String>,)> = sqlx::query_as("SELECT flash FROM sessions WHERE id_digest = ?")
        .bind(id_digest)
        .fetch_optional(&pool.db)
        .await?;
    let flash = row.and_then(|(f,)| f);
    if flash.is_some() {
        sqlx::query("UPDATE sessions SET flash = NULL WHERE id_digest = ?").bind(id_digest).execute(&pool.db).await?;
    }
    Ok(flash)
}
