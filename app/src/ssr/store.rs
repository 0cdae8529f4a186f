//! All SQL lives here: named functions over a `SqlitePool`. Pages and
//! handlers never write SQL, so a second backend is a change to this module.

use crate::domain::{Permission, ServicePermission, TemplateType};
use crate::ssr::clock;
use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{FromRow, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub type Pool = SqlitePool;

/// Bumped by every write to what the API caches per service (the service,
/// its permissions and limits, its keys), so an in-process cache can tell
/// that it is stale on the very next request.
static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn generation() -> u64 {
    GENERATION.load(std::sync::atomic::Ordering::SeqCst)
}

/// Marks the cached service data as changed (the store's own writes call
/// this; call it after writing those tables any other way).
pub fn note_change() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// Opens (creating if missing, with its folder) the SQLite database at
/// `url`, in WAL mode with foreign keys on, and runs the migrations.
pub async fn connect(url: &str) -> anyhow::Result<Pool> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| "DATABASE_URL is not a SQLite URL")?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // Checkpoints run from a background task (`checkpoint`), not inside
        // whichever request happens to commit the thousandth page.
        .pragma("wal_autocheckpoint", "0");
    let file = options.get_filename();
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        if file != Path::new(":memory:") {
            std::fs::create_dir_all(parent).with_context(|| format!("could not create {}", parent.display()))?;
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .min_connections(1)
        .connect_with(options)
        .await
        .context("could not open the database")?;
    sqlx::migrate!("./migrations").run(&pool).await.context("could not run the migrations")?;
    Ok(pool)
}

/// Copies the WAL back into the database without blocking writers.
pub async fn checkpoint(pool: &Pool) -> anyhow::Result<()> {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(pool).await?;
    Ok(())
}

pub async fn ping(pool: &Pool) -> bool {
    sqlx::query("SELECT 1").execute(pool).await.is_ok()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

// ---------------------------------------------------------------- users

#[derive(Clone, Debug, FromRow)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email_address: String,
    pub mobile_number: Option<String>,
    pub password_hash: String,
    pub platform_admin: bool,
}

pub struct NewUser<'a> {
    pub name: &'a str,
    pub email_address: &'a str,
    pub mobile_number: Option<&'a str>,
    pub password_hash: &'a str,
    pub platform_admin: bool,
}

pub async fn create_user(pool: &Pool, user: NewUser<'_>) -> anyhow::Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO users (id, name, email_address, mobile_number, password_hash, platform_admin, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(user.name)
    .bind(user.email_address)
    .bind(user.mobile_number)
    .bind(user.password_hash)
    .bind(user.platform_admin)
    .bind(clock::now_string())
    .execute(pool)
    .await
    .context("could not create the user")?;
    Ok(id)
}

pub async fn find_user_by_email(pool: &Pool, email_address: &str) -> anyhow::Result<Option<User>> {
    sqlx::query_as::<_, User>(
        "SELECT id, name, email_address, mobile_number, password_hash, platform_admin
         FROM users WHERE email_address = ? COLLATE NOCASE",
    )
    .bind(email_address)
    .fetch_optional(pool)
    .await
    .context("could not look up a user")
}

pub async fn get_user(pool: &Pool, id: &str) -> anyhow::Result<Option<User>> {
    sqlx::query_as::<_, User>(
        "SELECT id, name, email_address, mobile_number, password_hash, platform_admin FROM users WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .context("could not load a user")
}

// ---------------------------------------------------------------- services

#[derive(Clone, Debug, FromRow)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub restricted: bool,
    pub active: bool,
}

pub async fn create_service(
    pool: &Pool,
    name: &str,
    restricted: bool,
    permissions: &[ServicePermission],
) -> anyhow::Result<String> {
    let id = new_id();
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO services (id, name, restricted, active, created_at) VALUES (?, ?, ?, 1, ?)")
        .bind(&id)
        .bind(name)
        .bind(restricted)
        .bind(clock::now_string())
        .execute(&mut *tx)
        .await
        .context("could not create the service")?;
    for p in permissions {
        sqlx::query("INSERT INTO service_permissions (service_id, permission) VALUES (?, ?)")
            .bind(&id)
            .bind(p.as_str())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    note_change();
    Ok(id)
}

pub async fn get_service(pool: &Pool, id: &str) -> anyhow::Result<Option<Service>> {
    sqlx::query_as::<_, Service>("SELECT id, name, restricted, active FROM services WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
        .context("could not load a service")
}

pub async fn find_service_by_name(pool: &Pool, name: &str) -> anyhow::Result<Option<Service>> {
    sqlx::query_as::<_, Service>("SELECT id, name, restricted, active FROM services WHERE name = ? COLLATE NOCASE")
        .bind(name)
        .fetch_optional(pool)
        .await
        .context("could not look up a service")
}

pub async fn service_permissions(pool: &Pool, service_id: &str) -> anyhow::Result<Vec<ServicePermission>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT permission FROM service_permissions WHERE service_id = ?")
        .bind(service_id)
        .fetch_all(pool)
        .await
        .context("could not load service permissions")?;
    let mut out: Vec<_> = rows.iter().filter_map(|(p,)| ServicePermission::parse(p)).collect();
    out.sort();
    Ok(out)
}

pub async fn set_restricted(pool: &Pool, service_id: &str, restricted: bool) -> anyhow::Result<()> {
    sqlx::query("UPDATE services SET restricted = ? WHERE id = ?")
        .bind(restricted)
        .bind(service_id)
        .execute(pool)
        .await?;
    note_change();
    Ok(())
}

pub async fn set_rate_limit(pool: &Pool, service_id: &str, limit: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE services SET rate_limit = ? WHERE id = ?").bind(limit).bind(service_id).execute(pool).await?;
    note_change();
    Ok(())
}

pub async fn all_services(pool: &Pool) -> anyhow::Result<Vec<Service>> {
    sqlx::query_as::<_, Service>("SELECT id, name, restricted, active FROM services ORDER BY name COLLATE NOCASE")
        .fetch_all(pool)
        .await
        .context("could not list services")
}

/// The active services a user belongs to, by name.
pub async fn services_for_user(pool: &Pool, user_id: &str) -> anyhow::Result<Vec<Service>> {
    sqlx::query_as::<_, Service>(
        "SELECT s.id, s.name, s.restricted, s.active FROM services s
         JOIN service_users su ON su.service_id = s.id
         WHERE su.user_id = ? AND s.active = 1
         ORDER BY s.name COLLATE NOCASE",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    .context("could not list a user's services")
}

// ---------------------------------------------------------------- membership

/// Adds the user to the service (if not already a member) and grants the
/// permissions. Granting is idempotent.
pub async fn grant(pool: &Pool, user_id: &str, service_id: &str, permissions: &[Permission]) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT OR IGNORE INTO service_users (service_id, user_id) VALUES (?, ?)")
        .bind(service_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .context("could not add a user to a service")?;
    for p in permissions {
        sqlx::query(
            "INSERT OR IGNORE INTO user_service_permissions (service_id, user_id, permission) VALUES (?, ?, ?)",
        )
        .bind(service_id)
        .bind(user_id)
        .bind(p.as_str())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `None` when the user is not a member of the service; otherwise the
/// permissions they hold there (possibly none).
pub async fn user_permissions(pool: &Pool, user_id: &str, service_id: &str) -> anyhow::Result<Option<Vec<Permission>>> {
    let member: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM service_users WHERE service_id = ? AND user_id = ?")
        .bind(service_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await
        .context("could not check membership")?;
    if member.is_none() {
        return Ok(None);
    }
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT permission FROM user_service_permissions WHERE service_id = ? AND user_id = ?")
            .bind(service_id)
            .bind(user_id)
            .fetch_all(pool)
            .await
            .context("could not load permissions")?;
    let mut out: Vec<_> = rows.iter().filter_map(|(p,)| Permission::parse(p)).collect();
    out.sort();
    Ok(Some(out))
}

// ---------------------------------------------------------------- templates

#[derive(Clone, Debug, FromRow)]
pub struct Template {
    pub id: String,
    pub service_id: String,
    pub name: String,
    pub template_type: String,
    pub subject: Option<String>,
    pub content: String,
    pub version: i64,
    pub archived: bool,
    pub created_at: String,
    pub updated_at: Option<String>,
}

impl Template {
    pub fn kind(&self) -> Option<TemplateType> {
        TemplateType::parse(&self.template_type)
    }
}

pub struct NewTemplate<'a> {
    pub service_id: &'a str,
    pub name: &'a str,
    pub template_type: TemplateType,
    pub subject: Option<&'a str>,
    pub content: &'a str,
}

pub async fn create_template(pool: &Pool, t: NewTemplate<'_>) -> anyhow::Result<String> {
    let id = new_id();
    let now = clock::now_string();
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO templates (id, service_id, name, template_type, subject, content, version, archived, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 1, 0, ?)",
    )
    .bind(&id)
    .bind(t.service_id)
    .bind(t.name)
    .bind(t.template_type.as_str())
    .bind(t.subject)
    .bind(t.content)
    .bind(&now)
    .execute(&mut *tx)
    .await
    .context("could not create a template")?;
    sqlx::query(
        "INSERT INTO template_versions (template_id, version, name, template_type, subject, content, created_at)
         VALUES (?, 1, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(t.name)
    .bind(t.template_type.as_str())
    .bind(t.subject)
    .bind(t.content)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Saves a new version of a template (name, subject and content may all
/// change; the type may not). Returns the new version number, or `None` when
/// the template is not one of this service's.
pub async fn update_template(
    pool: &Pool,
    service_id: &str,
    template_id: &str,
    name: &str,
    subject: Option<&str>,
    content: &str,
) -> anyhow::Result<Option<i64>> {
    let now = clock::now_string();
    let mut tx = pool.begin().await?;
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT version, template_type FROM templates WHERE id = ? AND service_id = ?")
            .bind(template_id)
            .bind(service_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((version, template_type)) = row else { return Ok(None) };
    let next = version + 1;
    sqlx::query("UPDATE templates SET name = ?, subject = ?, content = ?, version = ?, updated_at = ? WHERE id = ?")
        .bind(name)
        .bind(subject)
        .bind(content)
        .bind(next)
        .bind(&now)
        .bind(template_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO template_versions (template_id, version, name, template_type, subject, content, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(template_id)
    .bind(next)
    .bind(name)
    .bind(template_type)
    .bind(subject)
    .bind(content)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(next))
}

pub async fn list_templates(pool: &Pool, service_id: &str) -> anyhow::Result<Vec<Template>> {
    sqlx::query_as::<_, Template>(
        "SELECT id, service_id, name, template_type, subject, content, version, archived, created_at, updated_at
         FROM templates WHERE service_id = ? AND archived = 0 ORDER BY name COLLATE NOCASE",
    )
    .bind(service_id)
    .fetch_all(pool)
    .await
    .context("could not list templates")
}

pub async fn get_template(pool: &Pool, service_id: &str, template_id: &str) -> anyhow::Result<Option<Template>> {
    sqlx::query_as::<_, Template>(
        "SELECT id, service_id, name, template_type, subject, content, version, archived, created_at, updated_at
         FROM templates WHERE id = ? AND service_id = ?",
    )
    .bind(template_id)
    .bind(service_id)
    .fetch_optional(pool)
    .await
    .context("could not load a template")
}

pub async fn template_counts(pool: &Pool, service_id: &str) -> anyhow::Result<Vec<(TemplateType, i64)>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT template_type, COUNT(*) FROM templates WHERE service_id = ? AND archived = 0
         GROUP BY template_type ORDER BY template_type",
    )
    .bind(service_id)
    .fetch_all(pool)
    .await
    .context("could not count templates")?;
    Ok(rows.into_iter().filter_map(|(t, n)| TemplateType::parse(&t).map(|t| (t, n))).collect())
}

// ---------------------------------------------------------------- sessions

#[derive(Clone, Debug, FromRow)]
pub struct Session {
    pub user_id: String,
    pub csrf_token: String,
    pub last_seen_at: String,
}

pub async fn create_session(pool: &Pool, id_digest: &str, user_id: &str, csrf_token: &str) -> anyhow::Result<()> {
    let now = clock::now_string();
    sqlx::query(
        "INSERT INTO sessions (id_digest, user_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(id_digest)
    .bind(user_id)
    .bind(csrf_token)
    .bind(&now)
    .bind(&now)
    .execute(pool)
    .await
    .context("could not create a session")?;
    Ok(())
}

/// Loads a session last seen after `idle_cutoff` and marks it seen now. The
/// mark is written at most once every 30 seconds per session, so browsing
/// is not a database write per page.
pub async fn touch_session(pool: &Pool, id_digest: &str, idle_cutoff: &str) -> anyhow::Result<Option<Session>> {
    let found = sqlx::query_as::<_, Session>(
        "SELECT user_id, csrf_token, last_seen_at FROM sessions WHERE id_digest = ? AND last_seen_at > ?",
    )
    .bind(id_digest)
    .bind(idle_cutoff)
    .fetch_optional(pool)
    .await
    .context("could not load a session")?;
    if let Some(session) = &found {
        if session.last_seen_at < clock::ago(time::Duration::seconds(30)) {
            sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id_digest = ?")
                .bind(clock::now_string())
                .bind(id_digest)
                .execute(pool)
                .await
                .context("could not mark a session seen")?;
        }
    }
    Ok(found)
}

pub async fn delete_session(pool: &Pool, id_digest: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_digest = ?").bind(id_digest).execute(pool).await?;
    Ok(())
}

pub async fn delete_idle_sessions(pool: &Pool, idle_cutoff: &str) -> anyhow::Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE last_seen_at <= ?")
        .bind(idle_cutoff)
        .execute(pool)
        .await?
        .rows_affected())
}

// ---------------------------------------------------------------- sign-in throttling

pub async fn record_sign_in_failure(pool: &Pool, email_lower: &str) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO sign_in_failures (email_address, at) VALUES (?, ?)")
        .bind(email_lower)
        .bind(clock::now_string())
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn count_sign_in_failures_since(pool: &Pool, email_lower: &str, since: &str) -> anyhow::Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sign_in_failures WHERE email_address = ? AND at > ?")
        .bind(email_lower)
        .bind(since)
        .fetch_one(pool)
        .await?;
    Ok(n)
}

pub async fn clear_sign_in_failures(pool: &Pool, email_lower: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM sign_in_failures WHERE email_address = ?").bind(email_lower).execute(pool).await?;
    Ok(())
}

pub async fn delete_sign_in_failures_before(pool: &Pool, cutoff: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM sign_in_failures WHERE at <= ?").bind(cutoff).execute(pool).await?;
    Ok(())
}

// ---------------------------------------------------------------- flash messages

pub async fn set_flash(pool: &Pool, id_digest: &str, message: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE sessions SET flash = ? WHERE id_digest = ?")
        .bind(message)
        .bind(id_digest)
        .execute(pool)
        .await?;
    Ok(())
}

/// Returns the session's flash message, if any, and clears it.
pub async fn take_flash(pool: &Pool, id_digest: &str) -> anyhow::Result<Option<String>> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT flash FROM sessions WHERE id_digest = ?").bind(id_digest).fetch_optional(pool).await?;
    let flash = row.and_then(|(f,)| f);
    if flash.is_some() {
        sqlx::query("UPDATE sessions SET flash = NULL WHERE id_digest = ?").bind(id_digest).execute(pool).await?;
    }
    Ok(flash)
}

// ---------------------------------------------------------------- API keys

#[derive(Clone, Debug, FromRow)]
pub struct ApiKey {
    pub id: String,
    pub service_id: String,
    pub name: String,
    pub key_type: String,
    pub created_at: String,
    pub expiry_date: Option<String>,
    pub last_used_at: Option<String>,
}

pub struct NewApiKey<'a> {
    pub service_id: &'a str,
    pub name: &'a str,
    pub name_fingerprint: &'a str,
    pub key_type: &'a str,
    pub secret_ciphertext: &'a str,
    pub secret_digest: &'a str,
    pub created_by: Option<&'a str>,
}

/// Why a key could not be created.
#[derive(Debug, PartialEq, Eq)]
pub enum CreateKeyError {
    /// An unrevoked key of the service already has this name (by fingerprint).
    DuplicateName,
}

/// Creates a key and records the `created` event, atomically. The unique
/// index on unrevoked fingerprints decides races between two creators.
pub async fn create_api_key(pool: &Pool, key: NewApiKey<'_>) -> anyhow::Result<Result<String, CreateKeyError>> {
    let id = new_id();
    let now = clock::now_string();
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO api_keys (id, service_id, name, name_fingerprint, key_type, secret_ciphertext, secret_digest,
                               created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(key.service_id)
    .bind(key.name)
    .bind(key.name_fingerprint)
    .bind(key.key_type)
    .bind(key.secret_ciphertext)
    .bind(key.secret_digest)
    .bind(key.created_by)
    .bind(&now)
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() && e.message().contains("name_fingerprint") => {
            return Ok(Err(CreateKeyError::DuplicateName));
        }
        Err(e) => return Err(anyhow::Error::new(e).context("could not create an API key")),
    }
    sqlx::query(
        "INSERT INTO api_key_events (api_key_id, service_id, event, user_id, at) VALUES (?, ?, 'created', ?, ?)",
    )
    .bind(&id)
    .bind(key.service_id)
    .bind(key.created_by)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    note_change();
    Ok(Ok(id))
}

pub async fn api_key_name_taken(pool: &Pool, service_id: &str, fingerprint: &str) -> anyhow::Result<bool> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM api_keys WHERE service_id = ? AND name_fingerprint = ? AND expiry_date IS NULL")
            .bind(service_id)
            .bind(fingerprint)
            .fetch_optional(pool)
            .await?;
    Ok(row.is_some())
}

/// The service's keys that are unrevoked or were revoked after `revoked_since`.
pub async fn list_api_keys(pool: &Pool, service_id: &str, revoked_since: &str) -> anyhow::Result<Vec<ApiKey>> {
    sqlx::query_as::<_, ApiKey>(
        "SELECT id, service_id, name, key_type, created_at, expiry_date, last_used_at FROM api_keys
         WHERE service_id = ? AND (expiry_date IS NULL OR expiry_date > ?)
         ORDER BY name COLLATE NOCASE, created_at",
    )
    .bind(service_id)
    .bind(revoked_since)
    .fetch_all(pool)
    .await
    .context("could not list API keys")
}

pub async fn get_api_key(pool: &Pool, service_id: &str, key_id: &str) -> anyhow::Result<Option<ApiKey>> {
    sqlx::query_as::<_, ApiKey>(
        "SELECT id, service_id, name, key_type, created_at, expiry_date, last_used_at FROM api_keys
         WHERE id = ? AND service_id = ?",
    )
    .bind(key_id)
    .bind(service_id)
    .fetch_optional(pool)
    .await
    .context("could not load an API key")
}

/// Revokes an unrevoked key (recording who and when). Returns false, and
/// changes nothing, when the key was already revoked.
pub async fn revoke_api_key(
    pool: &Pool,
    service_id: &str,
    key_id: &str,
    user_id: Option<&str>,
) -> anyhow::Result<bool> {
    let now = clock::now_string();
    let mut tx = pool.begin().await?;
    let changed = sqlx::query(
        "UPDATE api_keys SET expiry_date = ?, revoked_by = ? WHERE id = ? AND service_id = ? AND expiry_date IS NULL",
    )
    .bind(&now)
    .bind(user_id)
    .bind(key_id)
    .bind(service_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 1 {
        sqlx::query(
            "INSERT INTO api_key_events (api_key_id, service_id, event, user_id, at) VALUES (?, ?, 'revoked', ?, ?)",
        )
        .bind(key_id)
        .bind(service_id)
        .bind(user_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    note_change();
    Ok(changed == 1)
}

#[derive(Clone, Debug, FromRow)]
pub struct ApiKeyEvent {
    pub api_key_id: String,
    pub event: String,
    pub user_id: Option<String>,
    pub at: String,
}

pub async fn api_key_events(pool: &Pool, service_id: &str) -> anyhow::Result<Vec<ApiKeyEvent>> {
    sqlx::query_as::<_, ApiKeyEvent>(
        "SELECT api_key_id, event, user_id, at FROM api_key_events WHERE service_id = ? ORDER BY id",
    )
    .bind(service_id)
    .fetch_all(pool)
    .await
    .context("could not list API key events")
}

// ---------------------------------------------------------------- guest list

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredGuestList {
    pub email_addresses: Vec<String>,
    pub phone_numbers: Vec<String>,
}

pub async fn guest_list(pool: &Pool, service_id: &str) -> anyhow::Result<StoredGuestList> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT recipient_type, recipient FROM guest_list WHERE service_id = ? ORDER BY recipient_type, position",
    )
    .bind(service_id)
    .fetch_all(pool)
    .await
    .context("could not load the guest list")?;
    let mut out = StoredGuestList::default();
    for (kind, recipient) in rows {
        if kind == "email" {
            out.email_addresses.push(recipient);
        } else {
            out.phone_numbers.push(recipient);
        }
    }
    Ok(out)
}

/// Replaces the whole guest list.
pub async fn replace_guest_list(
    pool: &Pool,
    service_id: &str,
    emails: &[String],
    phones: &[String],
) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM guest_list WHERE service_id = ?").bind(service_id).execute(&mut *tx).await?;
    for (kind, list) in [("email", emails), ("mobile", phones)] {
        for (position, recipient) in list.iter().enumerate() {
            sqlx::query("INSERT INTO guest_list (service_id, recipient_type, recipient, position) VALUES (?, ?, ?, ?)")
                .bind(service_id)
                .bind(kind)
                .bind(recipient)
                .bind(position as i64)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The email addresses and mobile numbers of the service's team members.
pub async fn team_contacts(pool: &Pool, service_id: &str) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT u.email_address, u.mobile_number FROM users u
         JOIN service_users su ON su.user_id = u.id WHERE su.service_id = ?",
    )
    .bind(service_id)
    .fetch_all(pool)
    .await
    .context("could not load the team")?;
    let emails = rows.iter().map(|(e, _)| e.clone()).collect();
    let mobiles = rows.into_iter().filter_map(|(_, m)| m).collect();
    Ok((emails, mobiles))
}

// ---------------------------------------------------------------- callbacks

#[derive(Clone, Debug, FromRow)]
pub struct Callback {
    pub id: String,
    pub callback_type: String,
    pub url: String,
    pub bearer_token_ciphertext: String,
}

pub async fn callbacks(pool: &Pool, service_id: &str) -> anyhow::Result<Vec<Callback>> {
    sqlx::query_as::<_, Callback>(
        "SELECT id, callback_type, url, bearer_token_ciphertext FROM service_callbacks WHERE service_id = ?",
    )
    .bind(service_id)
    .fetch_all(pool)
    .await
    .context("could not load callbacks")
}

/// Creates or replaces the service's callback of `callback_type`.
pub async fn save_callback(
    pool: &Pool,
    service_id: &str,
    callback_type: &str,
    url: &str,
    bearer_token_ciphertext: &str,
    user_id: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO service_callbacks (id, service_id, callback_type, url, bearer_token_ciphertext, updated_by, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (service_id, callback_type) DO UPDATE SET
           url = excluded.url, bearer_token_ciphertext = excluded.bearer_token_ciphertext,
           updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(new_id())
    .bind(service_id)
    .bind(callback_type)
    .bind(url)
    .bind(bearer_token_ciphertext)
    .bind(user_id)
    .bind(clock::now_string())
    .execute(pool)
    .await
    .context("could not save a callback")?;
    Ok(())
}

pub async fn delete_callback(pool: &Pool, service_id: &str, callback_type: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM service_callbacks WHERE service_id = ? AND callback_type = ?")
        .bind(service_id)
        .bind(callback_type)
        .execute(pool)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- the v2 API

/// A key as authentication needs it (its secret still sealed).
#[derive(Clone, Debug, FromRow)]
pub struct AuthKey {
    pub id: String,
    pub service_id: String,
    pub name: String,
    pub key_type: String,
    pub secret_ciphertext: String,
    pub expiry_date: Option<String>,
}

/// The service's keys that are unrevoked or were revoked after `revoked_since`.
pub async fn auth_keys(pool: &Pool, service_id: &str, revoked_since: &str) -> anyhow::Result<Vec<AuthKey>> {
    sqlx::query_as::<_, AuthKey>(
        "SELECT id, service_id, name, key_type, secret_ciphertext, expiry_date FROM api_keys
         WHERE service_id = ? AND (expiry_date IS NULL OR expiry_date > ?)",
    )
    .bind(service_id)
    .bind(revoked_since)
    .fetch_all(pool)
    .await
    .context("could not load keys")
}

pub async fn auth_key_by_digest(pool: &Pool, digest: &str) -> anyhow::Result<Option<AuthKey>> {
    sqlx::query_as::<_, AuthKey>(
        "SELECT id, service_id, name, key_type, secret_ciphertext, expiry_date FROM api_keys WHERE secret_digest = ?",
    )
    .bind(digest)
    .fetch_optional(pool)
    .await
    .context("could not look up a key")
}

/// Writes a batch of last-used times in one transaction.
pub async fn record_last_used(pool: &Pool, uses: &[(String, String)]) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    for (key_id, at) in uses {
        sqlx::query("UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)")
            .bind(at)
            .bind(key_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[derive(Clone, Debug, FromRow)]
pub struct ServiceLimits {
    pub rate_limit: i64,
    pub email_message_limit: i64,
    pub sms_message_limit: i64,
    pub letter_message_limit: i64,
}

pub async fn service_limits(pool: &Pool, service_id: &str) -> anyhow::Result<ServiceLimits> {
    sqlx::query_as::<_, ServiceLimits>(
        "SELECT rate_limit, email_message_limit, sms_message_limit, letter_message_limit FROM services WHERE id = ?",
    )
    .bind(service_id)
    .fetch_one(pool)
    .await
    .context("could not load service limits")
}

pub async fn set_daily_limit(
    pool: &Pool,
    service_id: &str,
    notification_type: TemplateType,
    limit: i64,
) -> anyhow::Result<()> {
    let sql = match notification_type {
        TemplateType::Email => "UPDATE services SET email_message_limit = ? WHERE id = ?",
        TemplateType::Sms => "UPDATE services SET sms_message_limit = ? WHERE id = ?",
        TemplateType::Letter => "UPDATE services SET letter_message_limit = ? WHERE id = ?",
    };
    sqlx::query(sql).bind(limit).bind(service_id).execute(pool).await?;
    note_change();
    Ok(())
}

/// Live and team notifications of one type sent since `since` (test keys never count).
pub async fn count_sent_since(
    pool: &Pool,
    service_id: &str,
    notification_type: &str,
    since: &str,
) -> anyhow::Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM notifications
         WHERE service_id = ? AND notification_type = ? AND key_type != 'test' AND created_at >= ?",
    )
    .bind(service_id)
    .bind(notification_type)
    .bind(since)
    .fetch_one(pool)
    .await?;
    Ok(n)
}

#[derive(Clone, Debug, FromRow)]
pub struct TemplateVersion {
    pub template_id: String,
    pub version: i64,
    pub name: String,
    pub template_type: String,
    pub subject: Option<String>,
    pub content: String,
    pub created_at: String,
}

pub async fn get_template_version(
    pool: &Pool,
    service_id: &str,
    template_id: &str,
    version: i64,
) -> anyhow::Result<Option<TemplateVersion>> {
    sqlx::query_as::<_, TemplateVersion>(
        "SELECT v.template_id, v.version, v.name, v.template_type, v.subject, v.content, v.created_at
         FROM template_versions v JOIN templates t ON t.id = v.template_id
         WHERE v.template_id = ? AND t.service_id = ? AND v.version = ?",
    )
    .bind(template_id)
    .bind(service_id)
    .bind(version)
    .fetch_optional(pool)
    .await
    .context("could not load a template version")
}

#[derive(Clone, Debug, FromRow)]
pub struct Notification {
    pub id: String,
    pub service_id: String,
    pub api_key_id: Option<String>,
    pub key_type: String,
    pub template_id: String,
    pub template_version: i64,
    pub notification_type: String,
    pub recipient: String,
    pub client_reference: Option<String>,
    pub personalisation: String,
    pub subject: Option<String>,
    pub body: String,
    pub status: String,
    pub postage: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub completed_at: Option<String>,
    pub updated_at: Option<String>,
}

/// `SELECT <every notification column> FROM notifications`, for `concat!`.
macro_rules! select_notifications {
    () => {
        "SELECT id, service_id, api_key_id, key_type, template_id, template_version, notification_type, recipient,
                client_reference, personalisation, subject, body, status, postage, created_at, sent_at, completed_at,
                updated_at FROM notifications "
    };
}

/// A notification to store (owned, so it can wait in the write batch).
#[derive(Clone, Debug)]
pub struct NewNotification {
    pub id: String,
    pub service_id: String,
    pub api_key_id: String,
    pub key_type: String,
    pub template_id: String,
    pub template_version: i64,
    pub notification_type: String,
    pub recipient: String,
    pub client_reference: Option<String>,
    pub personalisation: String,
    pub subject: Option<String>,
    pub body: String,
    pub postage: Option<String>,
    pub created_at: String,
}

/// Stores a batch of notifications in one transaction (group commit), with
/// multi-row inserts.
pub async fn create_notifications(pool: &Pool, batch: &[&NewNotification]) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    for chunk in batch.chunks(200) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO notifications (id, service_id, api_key_id, key_type, template_id, template_version,
                 notification_type, recipient, client_reference, personalisation, subject, body, status, postage, created_at) ",
        );
        insert.push_values(chunk, |mut row, n| {
            row.push_bind(&n.id)
                .push_bind(&n.service_id)
                .push_bind(&n.api_key_id)
                .push_bind(&n.key_type)
                .push_bind(&n.template_id)
                .push_bind(n.template_version)
                .push_bind(&n.notification_type)
                .push_bind(&n.recipient)
                .push_bind(&n.client_reference)
                .push_bind(&n.personalisation)
                .push_bind(&n.subject)
                .push_bind(&n.body)
                .push_bind("created")
                .push_bind(&n.postage)
                .push_bind(&n.created_at);
        });
        insert.build().execute(&mut *tx).await.context("could not save notifications")?;
    }
    tx.commit().await.context("could not commit notifications")?;
    Ok(())
}

/// What sending needs to know of a service, in one query.
#[derive(Clone, Debug, FromRow)]
pub struct SendingService {
    pub rate_limit: i64,
    pub email_message_limit: i64,
    pub sms_message_limit: i64,
    pub letter_message_limit: i64,
    /// Comma-separated service permissions.
    pub permissions: String,
}

pub async fn sending_service(pool: &Pool, service_id: &str) -> anyhow::Result<SendingService> {
    sqlx::query_as::<_, SendingService>(
        "SELECT rate_limit, email_message_limit, sms_message_limit, letter_message_limit,
                COALESCE((SELECT group_concat(permission) FROM service_permissions WHERE service_id = s.id), '') AS permissions
         FROM services s WHERE id = ?",
    )
    .bind(service_id)
    .fetch_one(pool)
    .await
    .context("could not load a service for sending")
}

pub async fn get_notification(pool: &Pool, service_id: &str, id: &str) -> anyhow::Result<Option<Notification>> {
    sqlx::query_as::<_, Notification>(concat!(select_notifications!(), "WHERE id = ? AND service_id = ?"))
        .bind(id)
        .bind(service_id)
        .fetch_optional(pool)
        .await
        .context("could not load a notification")
}

/// Filters for listing notifications (all optional).
#[derive(Clone, Debug, Default)]
pub struct NotificationFilter {
    pub key_type: Option<String>,
    pub template_type: Option<String>,
    pub statuses: Vec<String>,
    pub reference: Option<String>,
    /// Only notifications created before this one (newest first paging).
    pub older_than: Option<String>,
}

/// Newest first, at most `limit`.
pub async fn list_notifications(
    pool: &Pool,
    service_id: &str,
    filter: &NotificationFilter,
    limit: i64,
) -> anyhow::Result<Vec<Notification>> {
    let statuses = serde_json::to_string(&filter.statuses)?;
    sqlx::query_as::<_, Notification>(concat!(
        select_notifications!(),
        "n
         WHERE service_id = ?1
           AND (?2 IS NULL OR key_type = ?2)
           AND (?3 IS NULL OR notification_type = ?3)
           AND (json_array_length(?4) = 0 OR status IN (SELECT value FROM json_each(?4)))
           AND (?5 IS NULL OR client_reference = ?5)
           AND (?6 IS NULL OR (created_at, id) < (SELECT created_at, id FROM notifications WHERE id = ?6))
         ORDER BY created_at DESC, id DESC
         LIMIT ?7"
    ))
    .bind(service_id)
    .bind(&filter.key_type)
    .bind(&filter.template_type)
    .bind(statuses)
    .bind(&filter.reference)
    .bind(&filter.older_than)
    .bind(limit)
    .fetch_all(pool)
    .await
    .context("could not list notifications")
}

/// Records a final delivery outcome (and the outbox copy for real sends).
pub async fn finish_notification(pool: &Pool, n: &Notification, status: &str, outbox: bool) -> anyhow::Result<()> {
    let now = clock::now_string();
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE notifications SET status = ?, sent_at = ?, completed_at = ?, updated_at = ? WHERE id = ?")
        .bind(status)
        .bind(&now)
        .bind(&now)
        .bind(&now)
        .bind(&n.id)
        .execute(&mut *tx)
        .await?;
    if outbox {
        sqlx::query(
            "INSERT OR REPLACE INTO outbox (notification_id, notification_type, recipient, subject, body, delivered_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&n.id)
        .bind(&n.notification_type)
        .bind(&n.recipient)
        .bind(&n.subject)
        .bind(&n.body)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Finishes every waiting test-key notification in one statement: test keys
/// only pretend, so each is `delivered`, except Notify's simulated failures
/// (text messages to numbers ending 7700900003 / 7700900002, emails to
/// temp-fail@ / perm-fail@simulator.notify). Returns how many it finished.
pub async fn deliver_test_notifications(pool: &Pool) -> anyhow::Result<u64> {
    let now = clock::now_string();
    let done = sqlx::query(
        "UPDATE notifications SET
           status = CASE
             WHEN recipient LIKE '%7700900003' OR lower(recipient) = 'temp-fail@simulator.notify' THEN 'temporary-failure'
             WHEN recipient LIKE '%7700900002' OR lower(recipient) = 'perm-fail@simulator.notify' THEN 'permanent-failure'
             ELSE 'delivered' END,
           sent_at = ?1, completed_at = ?1, updated_at = ?1
         WHERE status = 'created' AND key_type = 'test'",
    )
    .bind(&now)
    .execute(pool)
    .await
    .context("could not deliver test notifications")?;
    Ok(done.rows_affected())
}

/// Notifications of live and team keys waiting for a provider, oldest first.
pub async fn pending_real_notifications(pool: &Pool, limit: i64) -> anyhow::Result<Vec<Notification>> {
    sqlx::query_as::<_, Notification>(concat!(
        select_notifications!(),
        "WHERE status = 'created' AND key_type != 'test' ORDER BY created_at LIMIT ?"
    ))
    .bind(limit)
    .fetch_all(pool)
    .await
    .context("could not load pending notifications")
}

#[derive(Clone, Debug, FromRow)]
pub struct OutboxMessage {
    pub notification_id: String,
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
    pub delivered_at: String,
}

pub async fn outbox_message(pool: &Pool, notification_id: &str) -> anyhow::Result<Option<OutboxMessage>> {
    sqlx::query_as::<_, OutboxMessage>(
        "SELECT notification_id, recipient, subject, body, delivered_at FROM outbox WHERE notification_id = ?",
    )
    .bind(notification_id)
    .fetch_optional(pool)
    .await
    .context("could not load an outbox message")
}

/// The hub's message log: the last `limit` API notifications, any key type,
/// with the name of the key that sent each.
#[derive(Clone, Debug, FromRow)]
pub struct LogEntry {
    pub id: String,
    pub recipient: String,
    pub key_name: Option<String>,
    pub client_reference: Option<String>,
    pub notification_type: String,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub sent_at: Option<String>,
    pub status: String,
}

pub async fn message_log(pool: &Pool, service_id: &str, limit: i64) -> anyhow::Result<Vec<LogEntry>> {
    sqlx::query_as::<_, LogEntry>(
        "SELECT n.id, n.recipient, k.name AS key_name, n.client_reference, n.notification_type, n.created_at,
                n.updated_at, n.sent_at, n.status
         FROM notifications n LEFT JOIN api_keys k ON k.id = n.api_key_id
         WHERE n.service_id = ? ORDER BY n.created_at DESC, n.id DESC LIMIT ?",
    )
    .bind(service_id)
    .bind(limit)
    .fetch_all(pool)
    .await
    .context("could not load the message log")
}
