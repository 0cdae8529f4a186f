//! Jobs: lists of recipients being sent (migration 0032). A job is made in
//! one transaction with the checks of the daily limit that allow it; the
//! worker claims it, stores its rows as notifications a batch at a time,
//! each batch in one transaction with the job's cursor (`rows_read`), so a
//! job resumed after a crash stores every row exactly once.

use super::backend::{on_backend, on_tx, Id};
use super::notifications::{NewNotification, NotificationTx};
use super::Store;
use crate::domain::job::JobStatus;
use crate::domain::{KeyType, NotificationStatus, TemplateType, Timestamp};
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

/// A job as its pages and the API show it (without its file).
#[derive(Clone, Debug, FromRow)]
pub struct Job {
    pub id: String,
    pub service_id: String,
    pub template_id: String,
    pub template_version: i64,
    /// The template's name now (`None` if it was deleted since).
    pub template_name: Option<String>,
    pub notification_type: TemplateType,
    pub original_file_name: String,
    pub notification_count: i64,
    pub job_status: JobStatus,
    pub scheduled_for: Option<Timestamp>,
    pub created_by: Option<String>,
    /// The team member who sent it (`None`: an API key did).
    pub created_by_name: Option<String>,
    pub api_key_id: Option<String>,
    pub key_type: KeyType,
    pub created_at: Timestamp,
    pub processing_started: Option<Timestamp>,
    pub processing_finished: Option<Timestamp>,
}

macro_rules! select_jobs {
    () => {
        "SELECT CAST(j.id AS TEXT) AS id, CAST(j.service_id AS TEXT) AS service_id,
                CAST(j.template_id AS TEXT) AS template_id, j.template_version, t.name AS template_name,
                j.notification_type, j.original_file_name, j.notification_count, j.job_status, j.scheduled_for,
                CAST(j.created_by AS TEXT) AS created_by, u.name AS created_by_name,
                CAST(j.api_key_id AS TEXT) AS api_key_id, j.key_type, j.created_at, j.processing_started,
                j.processing_finished
         FROM jobs j LEFT JOIN templates t ON t.id = j.template_id LEFT JOIN users u ON u.id = j.created_by "
    };
}

/// A job to make.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub service_id: String,
    pub template_id: String,
    pub template_version: i64,
    pub notification_type: TemplateType,
    pub template_subject: Option<String>,
    pub template_content: String,
    pub original_file_name: String,
    pub delimiter: char,
    pub content: String,
    pub notification_count: i64,
    /// `None`: send now.
    pub scheduled_for: Option<Timestamp>,
    pub created_by: Option<String>,
    pub api_key_id: Option<String>,
    pub key_type: KeyType,
    pub reply_to: Option<String>,
}

/// Why a job was not made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobRefused {
    /// Today's sent messages, the rows of jobs still sending and this job's
    /// would pass the daily limit: what is left today.
    OverDailyLimit { remaining: i64 },
}

/// Makes a job, in one transaction with the check that the service's daily
/// limit for its type has room for it (counting what was sent today and the
/// rows of its jobs still to send), so two jobs started at once cannot both
/// take the last of the limit. A scheduled job is checked again when it
/// starts.
pub async fn create_job(pool: &Store, job: &NewJob, daily_limit: i64) -> anyhow::Result<Result<Job, JobRefused>> {
    let now = clock::now();
    let id = uuid::Uuid::now_v7().to_string();
    let _turn = pool.write_turn().await;
    // The admin writes' turn (on PostgreSQL, across instances): two jobs
    // made at once cannot both take the last of the limit.
    let mut write = pool.begin_write().await?;
    let status = if job.scheduled_for.is_some() { JobStatus::Scheduled } else { JobStatus::Pending };
    let made = on_tx!(&mut write, |tx| {
        if job.scheduled_for.is_none() && job.key_type != KeyType::Test {
            let (used,): (i64,) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM notifications
                         WHERE service_id = $1 AND notification_type = $2 AND key_type IN ('normal', 'team')
                           AND created_at >= $3)
                      + (SELECT CAST(coalesce(sum(j.notification_count
                                                  - (SELECT COUNT(*) FROM notifications n WHERE n.job_id = j.id)), 0)
                                     AS BIGINT)
                         FROM jobs j WHERE j.service_id = $1 AND j.notification_type = $2 AND j.key_type != 'test'
                           AND j.job_status IN ('pending', 'in progress'))",
            )
            .bind(Id(&job.service_id))
            .bind(job.notification_type)
            .bind(now.start_of_day())
            .fetch_one(&mut **tx)
            .await
            .context("could not count today's messages")?;
            if used + job.notification_count > daily_limit {
                return Ok(Err(JobRefused::OverDailyLimit { remaining: (daily_limit - used).max(0) }));
            }
        }
        sqlx::query(
            "INSERT INTO jobs (id, service_id, template_id, template_version, notification_type, original_file_name,
                 notification_count, job_status, scheduled_for, created_by, api_key_id, key_type, reply_to, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(Id(&id))
        .bind(Id(&job.service_id))
        .bind(Id(&job.template_id))
        .bind(job.template_version)
        .bind(job.notification_type)
        .bind(&job.original_file_name)
        .bind(job.notification_count)
        .bind(status)
        .bind(job.scheduled_for)
        .bind(job.created_by.as_deref().map(Id))
        .bind(job.api_key_id.as_deref().map(Id))
        .bind(job.key_type)
        .bind(&job.reply_to)
        .bind(now)
        .execute(&mut **tx)
        .await
        .context("could not make a job")?;
        sqlx::query(
            "INSERT INTO job_files (job_id, template_subject, template_content, delimiter, content)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Id(&id))
        .bind(&job.template_subject)
        .bind(&job.template_content)
        .bind(job.delimiter.to_string())
        .bind(&job.content)
        .execute(&mut **tx)
        .await
        .context("could not keep a job's file")?;
        sqlx::query_as::<_, Job>(concat!(select_jobs!(), "WHERE j.id = $1"))
            .bind(Id(&id))
            .fetch_one(&mut **tx)
            .await
            .context("could not read a new job")
    })?;
    write.commit().await.context("could not make a job")?;
    if status == JobStatus::Pending {
        pool.changed(super::Change::JobWaiting);
    }
    Ok(Ok(made))
}

/// The service's job (another service's is none).
pub async fn get_job(pool: &Store, service_id: &str, job_id: &str) -> anyhow::Result<Option<Job>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Job>(concat!(select_jobs!(), "WHERE j.id = $1 AND j.service_id = $2"))
        .bind(Id(job_id))
        .bind(Id(service_id))
        .fetch_optional(db)
        .await)
    .context("could not load a job")
}

/// The service's newest jobs, at most `limit`.
pub async fn list_jobs(pool: &Store, service_id: &str, limit: i64) -> anyhow::Result<Vec<Job>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Job>(concat!(
        select_jobs!(),
        "WHERE j.service_id = $1 ORDER BY j.created_at DESC, j.id DESC LIMIT $2"
    ))
    .bind(Id(service_id))
    .bind(limit)
    .fetch_all(db)
    .await)
    .context("could not list jobs")
}

/// Whether the service sent a job from a file of this name with this
/// template version since `since` (Notify's "These messages have already
/// been sent today"). Cancelled jobs sent nothing.
pub async fn sent_previously(
    pool: &Store,
    service_id: &str,
    template_id: &str,
    template_version: i64,
    file_name: &str,
    since: Timestamp,
) -> anyhow::Result<bool> {
    let (any,): (bool,) = on_backend!(pool, |db| sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE service_id = $1 AND template_id = $2 AND template_version = $3
                          AND original_file_name = $4 AND created_at >= $5 AND job_status != 'cancelled')",
    )
    .bind(Id(service_id))
    .bind(Id(template_id))
    .bind(template_version)
    .bind(file_name)
    .bind(since)
    .fetch_one(db)
    .await)
    .context("could not look for earlier jobs")?;
    Ok(any)
}

/// Cancels a scheduled job: whether it was scheduled (one already started
/// cannot be).
pub async fn cancel_job(pool: &Store, service_id: &str, job_id: &str) -> anyhow::Result<bool> {
    let done = on_backend!(pool, |db| sqlx::query(
        "UPDATE jobs SET job_status = 'cancelled', processing_finished = $1
         WHERE id = $2 AND service_id = $3 AND job_status = 'scheduled'",
    )
    .bind(clock::now())
    .bind(Id(job_id))
    .bind(Id(service_id))
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .context("could not cancel a job")?;
    Ok(done == 1)
}

/// A job's messages stored so far, by status.
pub async fn job_status_counts(pool: &Store, job_id: &str) -> anyhow::Result<Vec<(NotificationStatus, i64)>> {
    // SQLite is told the job's index (its planner would otherwise take the
    // status index for the grouping).
    let sql = if pool.is_postgres() {
        "SELECT status, COUNT(*) FROM notifications WHERE job_id = $1 GROUP BY status"
    } else {
        "SELECT status, COUNT(*) FROM notifications INDEXED BY notifications_job_row WHERE job_id = $1 GROUP BY status"
    };
    on_backend!(pool, |db| sqlx::query_as(sql).bind(Id(job_id)).fetch_all(db).await)
        .context("could not count a job's messages")
}

/// One of a job's messages, as its page lists them.
#[derive(Clone, Debug, FromRow)]
pub struct JobMessage {
    pub id: String,
    pub job_row_number: i64,
    pub recipient: String,
    pub status: NotificationStatus,
    pub created_at: Timestamp,
    pub updated_at: Option<Timestamp>,
}

/// A job's first `limit` messages, in the file's order.
pub async fn job_messages(pool: &Store, service_id: &str, job_id: &str, limit: i64) -> anyhow::Result<Vec<JobMessage>> {
    let sql = if pool.is_postgres() {
        "SELECT CAST(id AS TEXT) AS id, job_row_number, recipient, status, created_at, updated_at
         FROM notifications
         WHERE job_id = $1 AND service_id = $2 ORDER BY job_row_number LIMIT $3"
    } else {
        "SELECT id, job_row_number, recipient, status, created_at, updated_at
         FROM notifications INDEXED BY notifications_job_row
         WHERE job_id = $1 AND service_id = $2 ORDER BY job_row_number LIMIT $3"
    };
    on_backend!(pool, |db| sqlx::query_as(sql).bind(Id(job_id)).bind(Id(service_id)).bind(limit).fetch_all(db).await)
        .context("could not list a job's messages")
}

/// What the worker needs to send a job: the job, its template as it was,
/// its file and how far it got.
#[derive(Clone, Debug, FromRow)]
pub struct JobWork {
    pub id: String,
    pub service_id: String,
    pub template_id: String,
    pub template_version: i64,
    pub notification_type: TemplateType,
    pub template_subject: Option<String>,
    pub template_content: String,
    pub delimiter: String,
    pub content: String,
    pub notification_count: i64,
    pub rows_read: i64,
    pub job_status: JobStatus,
    pub api_key_id: Option<String>,
    pub key_type: KeyType,
    pub reply_to: Option<String>,
}

/// How long a claim on a job holds in a shared (PostgreSQL) database
/// before another instance may take the job over: each batch stored renews
/// it, so only a job whose instance died (or stopped storing) is taken.
pub const JOB_LEASE: time::Duration = time::Duration::seconds(60);

/// Takes the next job to send, oldest first: one started already (this
/// process stopped while sending it), one waiting, or one whose time has
/// come; it is then `in progress`.
///
/// On PostgreSQL the claim is a lease, [`JOB_LEASE`]: an `in progress` job
/// is taken only when its lease has run out (the instance sending it died),
/// and two instances looking at once take different jobs (`FOR UPDATE SKIP
/// LOCKED`).
pub async fn claim_next_job(pool: &Store) -> anyhow::Result<Option<JobWork>> {
    let now = clock::now();
    let _turn = pool.write_turn().await;
    let next_sql = if pool.is_postgres() {
        "SELECT CAST(id AS TEXT), job_status FROM jobs
         WHERE (job_status = 'in progress' AND (lease_until IS NULL OR lease_until < $1))
            OR job_status = 'pending' OR (job_status = 'scheduled' AND scheduled_for <= $1)
         ORDER BY job_status = 'in progress' DESC, created_at LIMIT 1
         FOR UPDATE SKIP LOCKED"
    } else {
        "SELECT id, job_status FROM jobs
         WHERE job_status IN ('in progress', 'pending') OR (job_status = 'scheduled' AND scheduled_for <= $1)
         ORDER BY job_status = 'in progress' DESC, created_at LIMIT 1"
    };
    let claim_sql = if pool.is_postgres() {
        "UPDATE jobs SET job_status = 'in progress', processing_started = coalesce(processing_started, $1),
             leased_by = $3, lease_until = $4
         WHERE id = $2"
    } else {
        "UPDATE jobs SET job_status = 'in progress', processing_started = coalesce(processing_started, $1)
         WHERE id = $2"
    };
    let mut write = pool.begin_busy_write().await?;
    let work = on_tx!(&mut write, |tx| {
        let next: Option<(String, JobStatus)> =
            sqlx::query_as(next_sql).bind(now).fetch_optional(&mut **tx).await.context("could not look for jobs")?;
        let Some((id, was)) = next else { return anyhow::Ok(None) };
        sqlx::query(claim_sql)
            .bind(now)
            .bind(Id(&id))
            .bind(&*pool.instance)
            .bind(now + JOB_LEASE)
            .execute(&mut **tx)
            .await
            .context("could not claim a job")?;
        let mut work = sqlx::query_as::<_, JobWork>(
            "SELECT CAST(j.id AS TEXT) AS id, CAST(j.service_id AS TEXT) AS service_id,
                    CAST(j.template_id AS TEXT) AS template_id, j.template_version, j.notification_type,
                    f.template_subject, f.template_content, f.delimiter, f.content, j.notification_count, j.rows_read,
                    j.job_status, CAST(j.api_key_id AS TEXT) AS api_key_id, j.key_type, j.reply_to
             FROM jobs j JOIN job_files f ON f.job_id = j.id WHERE j.id = $1",
        )
        .bind(Id(&id))
        .fetch_one(&mut **tx)
        .await
        .context("could not read a claimed job")?;
        // As it was before this claim: whether it is resumed, or starts.
        work.job_status = was;
        anyhow::Ok(Some(work))
    })?;
    write.commit().await.context("could not claim a job")?;
    Ok(work)
}

/// Rows of a job inserted between looks at whether sends are waiting.
const JOB_CHUNK: usize = 100;

/// Stores a batch of a job's rows as notifications and moves its cursor, in
/// one transaction: both or neither. When sends are waiting for the writer
/// it stops after the chunk it is inserting and commits what it has, so a
/// job's batch delays the API's sends by a chunk, not a batch. Returns how
/// many of `batch` it stored; the cursor is then past the last one stored
/// (`rows_read` when all were).
pub async fn store_job_batch(
    pool: &Store,
    job_id: &str,
    batch: &[&NewNotification],
    rows_read: i64,
) -> anyhow::Result<usize> {
    let _turn = pool.write_turn().await;
    // On PostgreSQL the cursor moves only while the job is still this
    // instance's, and its lease is renewed with it: a job taken over by
    // another instance (this one was too slow) stores nothing more here.
    let cursor_sql = if pool.is_postgres() {
        "UPDATE jobs SET rows_read = $1, lease_until = $3 WHERE id = $2 AND leased_by = $4"
    } else {
        "UPDATE jobs SET rows_read = $1 WHERE id = $2"
    };
    let mut write = pool.begin_busy_write().await?;
    let stored = on_tx!(&mut write, |tx| {
        let mut stored = 0;
        for chunk in batch.chunks(JOB_CHUNK) {
            tx.insert_notifications(chunk).await?;
            stored += chunk.len();
            if pool.sends_waiting() {
                break;
            }
        }
        let cursor = match batch.get(stored) {
            // Stopped early: past the last row stored.
            Some(_) => batch[stored - 1].job.as_ref().map(|j| j.row_number + 1).unwrap_or(rows_read),
            None => rows_read,
        };
        let moved = sqlx::query(cursor_sql)
            .bind(cursor)
            .bind(Id(job_id))
            .bind(clock::now() + JOB_LEASE)
            .bind(&*pool.instance)
            .execute(&mut **tx)
            .await
            .context("could not move a job's cursor")?
            .rows_affected();
        anyhow::ensure!(moved == 1, "the job is no longer this instance's to send");
        anyhow::Ok(stored)
    })?;
    write.commit().await.context("could not store a job's rows")?;
    Ok(stored)
}

/// Ends a job: `finished`, or refused when it came to start
/// (`sending limits exceeded`).
pub async fn end_job(pool: &Store, job_id: &str, status: JobStatus) -> anyhow::Result<()> {
    let sql = if pool.is_postgres() {
        "UPDATE jobs SET job_status = $1, processing_finished = $2, leased_by = NULL, lease_until = NULL WHERE id = $3"
    } else {
        "UPDATE jobs SET job_status = $1, processing_finished = $2 WHERE id = $3"
    };
    on_backend!(pool, |db| sqlx::query(sql)
        .bind(status)
        .bind(clock::now())
        .bind(Id(job_id))
        .execute(db)
        .await
        .map(|done| done.rows_affected()))
    .context("could not end a job")?;
    Ok(())
}

/// `EXPLAIN QUERY PLAN` of a job page's counts, for the test that keeps
/// them on the job's index.
#[doc(hidden)]
pub async fn job_query_plans(pool: &Store) -> anyhow::Result<Vec<String>> {
    let mut plans = Vec::new();
    for sql in ["EXPLAIN QUERY PLAN SELECT status, COUNT(*) FROM notifications INDEXED BY notifications_job_row
         WHERE job_id = '' GROUP BY status"]
    {
        let db = pool.sqlite().context("a query plan of SQLite's")?;
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(sql).fetch_all(db).await?;
        plans.push(rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; "));
    }
    Ok(plans)
}

/// Forgets the files of the service's jobs of one type made before
/// `before` that are done (sent, cancelled or refused): their recipients
/// go with the messages' retention; the job itself stays listed. How many.
pub async fn forget_job_files_before(
    pool: &Store,
    service_id: &str,
    notification_type: TemplateType,
    before: Timestamp,
) -> anyhow::Result<u64> {
    let done = on_backend!(pool, |db| sqlx::query(
        "DELETE FROM job_files WHERE job_id IN (
           SELECT id FROM jobs WHERE service_id = $1 AND notification_type = $2 AND created_at < $3
             AND job_status IN ('finished', 'cancelled', 'sending limits exceeded'))",
    )
    .bind(Id(service_id))
    .bind(notification_type)
    .bind(before)
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .context("could not forget old jobs' files")?;
    Ok(done)
}
