//! The service's audit log: every change to its API integration, who made
//! it and when, in words that never hold a secret.

use super::Pool;
use crate::domain::Timestamp;
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

/// Who made a change and what it was, in words: a write that takes one
/// records it in the change's own transaction, so the log never shows a
/// change that did not happen nor misses one that did.
#[derive(Clone, Copy, Debug)]
pub struct Audit<'a> {
    /// `None`: the system (a command, a report, a timer).
    pub user_id: Option<&'a str>,
    pub description: &'a str,
}

/// Records `audit` about the service in `tx`.
pub(super) async fn audit_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    service_id: &str,
    audit: Audit<'_>,
) -> anyhow::Result<()> {
    audit_key_in(tx, service_id, audit.user_id, None, audit.description).await
}

/// [`audit`] inside a transaction (so the record stands or falls with the
/// change), about one key when `key_id` is given (its page lists it).
pub(super) async fn audit_key_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    service_id: &str,
    user_id: Option<&str>,
    key_id: Option<&str>,
    description: &str,
) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO audit_events (service_id, at, user_id, api_key_id, description) VALUES (?, ?, ?, ?, ?)")
        .bind(service_id)
        .bind(clock::now())
        .bind(user_id)
        .bind(key_id)
        .bind(description)
        .execute(&mut **tx)
        .await
        .context("could not record an audit event")?;
    Ok(())
}

/// Records in `tx` that one of the service's keys was reported leaked.
pub(super) async fn audit_leak_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    service_id: &str,
    key_id: &str,
    description: &str,
) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO audit_events (service_id, at, api_key_id, description, kind) VALUES (?, ?, ?, ?, 'leak')")
        .bind(service_id)
        .bind(clock::now())
        .bind(key_id)
        .bind(description)
        .execute(&mut **tx)
        .await
        .context("could not record a leak report")?;
    Ok(())
}

/// The service's leak reports since `since`, newest first.
pub async fn leak_reports_since(pool: &Pool, service_id: &str, since: Timestamp) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT description FROM audit_events WHERE service_id = ? AND kind = 'leak' AND at >= ? ORDER BY id DESC",
    )
    .bind(service_id)
    .bind(since)
    .fetch_all(&pool.db)
    .await?;
    Ok(rows.into_iter().map(|(d,)| d).collect())
}

#[derive(Clone, Debug, FromRow)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub user_name: Option<String>,
    pub user_email: Option<String>,
    pub description: String,
    /// The key it is about, if any.
    pub api_key_id: Option<String>,
}

/// A page of the service's audit log, newest first: `per_page` entries
/// after skipping `(page - 1) * per_page`; and whether there are more.
pub async fn audit_log(
    pool: &Pool,
    service_id: &str,
    page: i64,
    per_page: i64,
) -> anyhow::Result<(Vec<AuditEntry>, bool)> {
    let mut rows = sqlx::query_as::<_, AuditEntry>(
        "SELECT a.at, u.name AS user_name, u.email_address AS user_email, a.description, a.api_key_id
         FROM audit_events a LEFT JOIN users u ON u.id = a.user_id
         WHERE a.service_id = ? ORDER BY a.id DESC LIMIT ? OFFSET ?",
    )
    .bind(service_id)
    .bind(per_page + 1)
    .bind((page.max(1) - 1) * per_page)
    .fetch_all(&pool.db)
    .await
    .context("could not load the audit log")?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}

/// The latest `limit` entries about one key of the service, newest first.
pub async fn key_audit_log(pool: &Pool, service_id: &str, key_id: &str, limit: i64) -> anyhow::Result<Vec<AuditEntry>> {
    sqlx::query_as::<_, AuditEntry>(
        "SELECT a.at, u.name AS user_name, u.email_address AS user_email, a.description, a.api_key_id
         FROM audit_events a LEFT JOIN users u ON u.id = a.user_id
         WHERE a.api_key_id = ? AND a.service_id = ? ORDER BY a.id DESC LIMIT ?",
    )
    .bind(key_id)
    .bind(service_id)
    .bind(limit)
    .fetch_all(&pool.db)
    .await
    .context("could not read a key's history")
}
