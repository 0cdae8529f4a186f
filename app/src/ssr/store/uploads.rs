//! Uploaded lists of recipients (migration 0031).

use super::backend::{on_backend, Id};
use super::Store;
use crate::domain::Timestamp;
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

#[derive(Clone, Debug, FromRow)]
pub struct Upload {
    pub id: String,
    pub template_id: String,
    pub file_name: String,
    pub delimiter: String,
    pub content: String,
    pub created_at: Timestamp,
}

/// Stores an upload: its id.
pub async fn create_upload(
    pool: &Store,
    service_id: &str,
    template_id: &str,
    file_name: &str,
    delimiter: char,
    content: &str,
    created_by: &str,
) -> anyhow::Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    on_backend!(pool, |db| sqlx::query(
        "INSERT INTO uploads (id, service_id, template_id, file_name, delimiter, content, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Id(&id))
    .bind(Id(service_id))
    .bind(Id(template_id))
    .bind(file_name)
    .bind(delimiter.to_string())
    .bind(content)
    .bind(Id(created_by))
    .bind(clock::now())
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .context("could not store an upload")?;
    Ok(id)
}

/// The service's upload of a list for this template (another service's, or
/// another template's, is none).
pub async fn get_upload(
    pool: &Store,
    service_id: &str,
    template_id: &str,
    upload_id: &str,
) -> anyhow::Result<Option<Upload>> {
    on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT) AS id, CAST(template_id AS TEXT) AS template_id, file_name, delimiter, content,
         created_at FROM uploads WHERE id = $1 AND service_id = $2 AND template_id = $3",
    )
    .bind(Id(upload_id))
    .bind(Id(service_id))
    .bind(Id(template_id))
    .fetch_optional(db)
    .await)
    .context("could not load an upload")
}

/// The service's upload, whatever its template (another service's is none).
pub async fn find_upload(pool: &Store, service_id: &str, upload_id: &str) -> anyhow::Result<Option<Upload>> {
    on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT) AS id, CAST(template_id AS TEXT) AS template_id, file_name, delimiter, content,
         created_at FROM uploads WHERE id = $1 AND service_id = $2",
    )
    .bind(Id(upload_id))
    .bind(Id(service_id))
    .fetch_optional(db)
    .await)
    .context("could not load an upload")
}

/// How long an uploaded file is kept (Notify keeps uploads for 7 days).
pub const UPLOAD_DAYS: i64 = 7;

/// Deletes the service's uploads made before `before`: how many.
pub async fn delete_uploads_before(pool: &Store, service_id: &str, before: Timestamp) -> anyhow::Result<u64> {
    let done = on_backend!(pool, |db| sqlx::query("DELETE FROM uploads WHERE service_id = $1 AND created_at < $2")
        .bind(Id(service_id))
        .bind(before)
        .execute(db)
        .await
        .map(|done| done.rows_affected()))
    .context("could not delete old uploads")?;
    Ok(done)
}
