//! The service's audit log: every change to its API integration, who made
//! it and when, in words that never hold a secret.

use super::backend::{on_backend, on_tx, Id, WriteTx};
use super::Store;
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

/// A transaction an audit entry can be written in: either backend's, or a
/// [`WriteTx`].
pub(crate) trait AuditSink: Send {
    fn insert_audit<'a>(
        &'a mut self,
        entry: AuditRow<'a>,
    ) -> impl std::future::Future<Output = anyhow::Result<()>> + Send + 'a;
}

/// One audit entry as stored.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AuditRow<'a> {
    service_id: &'a str,
    user_id: Option<&'a str>,
    key_id: Option<&'a str>,
    description: &'a str,
    /// `change`, or `leak` (a key reported leaked).
    kind: &'static str,
}

macro_rules! audit_sink_for {
    ($db:ty) => {
        impl AuditSink for sqlx::Transaction<'_, $db> {
            fn insert_audit<'a>(
                &'a mut self,
                entry: AuditRow<'a>,
            ) -> impl std::future::Future<Output = anyhow::Result<()>> + Send + 'a {
                async move {
                    sqlx::query(
                        "INSERT INTO audit_events (service_id, at, user_id, api_key_id, description, kind)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(Id(entry.service_id))
                    .bind(clock::now())
                    .bind(entry.user_id.map(Id))
                    .bind(entry.key_id.map(Id))
                    .bind(entry.description)
                    .bind(entry.kind)
                    .execute(&mut **self)
                    .await
                    .context("could not record an audit event")?;
                    Ok(())
                }
            }
        }
    };
}
audit_sink_for!(sqlx::Sqlite);
audit_sink_for!(sqlx::Postgres);

impl AuditSink for WriteTx {
    // The trait promises a `Send` future, which an `async fn` would not say.
    #[allow(clippy::manual_async_fn)]
    fn insert_audit<'a>(
        &'a mut self,
        entry: AuditRow<'a>,
    ) -> impl std::future::Future<Output = anyhow::Result<()>> + Send + 'a {
        async move { on_tx!(self, |tx| tx.insert_audit(entry).await) }
    }
}

/// Records `audit` about the service in `tx`.
pub(crate) async fn audit_in(tx: &mut impl AuditSink, service_id: &str, audit: Audit<'_>) -> anyhow::Result<()> {
    audit_key_in(tx, service_id, audit.user_id, None, audit.description).await
}

/// [`audit`] inside a transaction (so the record stands or falls with the
/// change), about one key when `key_id` is given (its page lists it).
pub(crate) async fn audit_key_in(
    tx: &mut impl AuditSink,
    service_id: &str,
    user_id: Option<&str>,
    key_id: Option<&str>,
    description: &str,
) -> anyhow::Result<()> {
    tx.insert_audit(AuditRow { service_id, user_id, key_id, description, kind: "change" }).await
}

/// Records in `tx` that one of the service's keys was reported leaked.
pub(crate) async fn audit_leak_in(
    tx: &mut impl AuditSink,
    service_id: &str,
    key_id: &str,
    description: &str,
) -> anyhow::Result<()> {
    tx.insert_audit(AuditRow { service_id, user_id: None, key_id: Some(key_id), description, kind: "leak" }).await
}

/// The service's leak reports since `since`, newest first.
pub async fn leak_reports_since(pool: &Store, service_id: &str, since: Timestamp) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String,)> = on_backend!(pool, |db| {
        sqlx::query_as(
            "SELECT description FROM audit_events WHERE service_id = $1 AND kind = 'leak' AND at >= $2
             ORDER BY id DESC",
        )
        .bind(Id(service_id))
        .bind(since)
        .fetch_all(db)
        .await?
    });
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
    pool: &Store,
    service_id: &str,
    page: i64,
    per_page: i64,
) -> anyhow::Result<(Vec<AuditEntry>, bool)> {
    let mut rows = on_backend!(pool, |db| sqlx::query_as::<_, AuditEntry>(
        "SELECT a.at, u.name AS user_name, u.email_address AS user_email, a.description, CAST(a.api_key_id AS TEXT)
         AS api_key_id FROM audit_events a LEFT JOIN users u ON u.id = a.user_id
         WHERE a.service_id = $1 ORDER BY a.id DESC LIMIT $2 OFFSET $3",
    )
    .bind(Id(service_id))
    .bind(per_page + 1)
    .bind((page.max(1) - 1) * per_page)
    .fetch_all(db)
    .await)
    .context("could not load the audit log")?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}

/// The latest `limit` entries about one key of the service, newest first.
pub async fn key_audit_log(
    pool: &Store,
    service_id: &str,
    key_id: &str,
    limit: i64,
) -> anyhow::Result<Vec<AuditEntry>> {
    on_backend!(pool, |db| sqlx::query_as::<_, AuditEntry>(
        "SELECT a.at, u.name AS user_name, u.email_address AS user_email, a.description, CAST(a.api_key_id AS TEXT)
         AS api_key_id FROM audit_events a LEFT JOIN users u ON u.id = a.user_id
         WHERE a.api_key_id = $1 AND a.service_id = $2 ORDER BY a.id DESC
         LIMIT $3",
    )
    .bind(Id(key_id))
    .bind(Id(service_id))
    .bind(limit)
    .fetch_all(db)
    .await)
    .context("could not read a key's history")
}
