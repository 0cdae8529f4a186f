//! API keys (secrets sealed, with a keyed digest for look-ups), their events, and what authentication reads.

use super::Pool;
use crate::domain::KeyType;
use crate::domain::Timestamp;
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

#[derive(Clone, Debug, FromRow)]
pub struct ApiKey {
    pub id: String,
    pub service_id: String,
    /// Who made it (`None` for keys made by an admin command).
    pub created_by: Option<String>,
    pub name: String,
    pub key_type: KeyType,
    pub created_at: Timestamp,
    pub expiry_date: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    /// When it stops working on its own (`None`: never).
    pub expires_at: Option<Timestamp>,
    /// The key that replaced it, when it was rotated.
    pub rotated_to: Option<String>,
}

pub struct NewApiKey<'a> {
    /// From [`super::new_id`], chosen before the secret is sealed to it.
    pub id: &'a str,
    pub service_id: &'a str,
    pub name: &'a str,
    pub name_fingerprint: &'a str,
    pub key_type: KeyType,
    pub secret_ciphertext: &'a str,
    pub secret_digest: &'a str,
    pub created_by: Option<&'a str>,
    pub expires_at: Option<Timestamp>,
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
    let mut tx = pool.begin_write().await?;
    let created = insert_api_key(&mut tx, &key).await?;
    if created.is_ok() {
        tx.commit().await?;
        pool.service_changed(key.service_id);
    }
    Ok(created)
}

/// Inserts a key and its `created` event in `tx`.
async fn insert_api_key(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    key: &NewApiKey<'_>,
) -> anyhow::Result<Result<String, CreateKeyError>> {
    let id = key.id.to_string();
    let now = clock::now();
    let inserted = sqlx::query(
        "INSERT INTO api_keys (id, service_id, name, name_fingerprint, key_type, secret_ciphertext, secret_digest,
                               created_by, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(key.service_id)
    .bind(key.name)
    .bind(key.name_fingerprint)
    .bind(key.key_type)
    .bind(key.secret_ciphertext)
    .bind(key.secret_digest)
    .bind(key.created_by)
    .bind(now)
    .bind(key.expires_at)
    .execute(&mut **tx)
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
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let lifetime = match key.expires_at {
        Some(at) => format!(", expiring {}", crate::domain::london_time::datetime_short(at.time())),
        None => String::new(),
    };
    let description = format!("Created API key ‘{}’ ({}{lifetime})", key.name, key.key_type.description());
    super::audit_key_in(tx, key.service_id, key.created_by, Some(&id), &description).await?;
    Ok(Ok(id))
}

/// Rotates a working key in one step: `new` (the same name and type) is
/// created, and the old key is marked replaced and stops working at
/// `old_expires_at`. `None`: the old key is not a working, unrotated key of
/// the service.
pub async fn rotate_api_key(
    pool: &Pool,
    old_key_id: &str,
    new: NewApiKey<'_>,
    old_expires_at: Timestamp,
) -> anyhow::Result<Option<String>> {
    let mut tx = pool.begin_write().await?;
    // A placeholder first, so the old key leaves the unique name index
    // before the new one joins it; then the real id.
    let marked = sqlx::query(
        "UPDATE api_keys SET rotated_to = 'pending', expires_at = ?
         WHERE id = ? AND service_id = ? AND expiry_date IS NULL AND rotated_to IS NULL
           AND (expires_at IS NULL OR expires_at > ?)",
    )
    .bind(old_expires_at)
    .bind(old_key_id)
    .bind(new.service_id)
    .bind(clock::now())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if marked != 1 {
        return Ok(None);
    }
    let Ok(new_id) = insert_api_key(&mut tx, &new).await? else { return Ok(None) };
    sqlx::query("UPDATE api_keys SET rotated_to = ? WHERE id = ?")
        .bind(&new_id)
        .bind(old_key_id)
        .execute(&mut *tx)
        .await?;
    let until = crate::domain::london_time::datetime_short(old_expires_at.time());
    let description = format!("Rotated API key ‘{}’: the previous key stops working {until}", new.name);
    super::audit_key_in(&mut tx, new.service_id, new.created_by, Some(old_key_id), &description).await?;
    tx.commit().await?;
    pool.service_changed(new.service_id);
    Ok(Some(new_id))
}

pub async fn api_key_name_taken(pool: &Pool, service_id: &str, fingerprint: &str) -> anyhow::Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM api_keys WHERE service_id = ? AND name_fingerprint = ? AND expiry_date IS NULL
             AND rotated_to IS NULL",
    )
    .bind(service_id)
    .bind(fingerprint)
    .fetch_optional(&pool.db)
    .await?;
    Ok(row.is_some())
}

/// The service's keys that are unrevoked or were revoked after `revoked_since`.
pub async fn list_api_keys(pool: &Pool, service_id: &str, revoked_since: Timestamp) -> anyhow::Result<Vec<ApiKey>> {
    sqlx::query_as::<_, ApiKey>(
        "SELECT id, service_id, created_by, name, key_type, created_at, expiry_date, last_used_at, expires_at, rotated_to FROM api_keys
         WHERE service_id = ? AND (expiry_date IS NULL OR expiry_date > ?2) AND (expires_at IS NULL OR expires_at > ?2)
         ORDER BY name COLLATE NOCASE, created_at",
    )
    .bind(service_id)
    .bind(revoked_since)
    .fetch_all(&pool.db)
    .await
    .context("could not list API keys")
}

pub async fn get_api_key(pool: &Pool, service_id: &str, key_id: &str) -> anyhow::Result<Option<ApiKey>> {
    sqlx::query_as::<_, ApiKey>(
        "SELECT id, service_id, created_by, name, key_type, created_at, expiry_date, last_used_at, expires_at, rotated_to FROM api_keys
         WHERE id = ? AND service_id = ?",
    )
    .bind(key_id)
    .bind(service_id)
    .fetch_optional(&pool.db)
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
    let mut tx = pool.begin_write().await?;
    let revoked = revoke_in(&mut tx, service_id, key_id, user_id).await?;
    tx.commit().await?;
    pool.service_changed(service_id);
    Ok(revoked.is_some())
}

/// Revokes a key reported leaked, if it still worked, and records the
/// report in the same transaction: `describe` gets the key's name and
/// whether it still worked and words the report. Returns whether it was
/// revoked now; `None`: no such key of the service.
pub async fn revoke_leaked_key(
    pool: &Pool,
    service_id: &str,
    key_id: &str,
    describe: impl FnOnce(&str, bool) -> String,
) -> anyhow::Result<Option<bool>> {
    let mut tx = pool.begin_write().await?;
    let revoked = revoke_in(&mut tx, service_id, key_id, None).await?;
    let name = match &revoked {
        Some(name) => name.clone(),
        None => {
            let row: Option<(String,)> = sqlx::query_as("SELECT name FROM api_keys WHERE id = ? AND service_id = ?")
                .bind(key_id)
                .bind(service_id)
                .fetch_optional(&mut *tx)
                .await?;
            match row {
                Some((name,)) => name,
                None => return Ok(None),
            }
        }
    };
    super::audit_leak_in(&mut tx, service_id, key_id, &describe(&name, revoked.is_some())).await?;
    tx.commit().await?;
    pool.service_changed(service_id);
    Ok(Some(revoked.is_some()))
}

/// Revokes the key in `tx` if it is unrevoked, with its event and audit
/// entry: its name, or `None` when nothing changed.
async fn revoke_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    service_id: &str,
    key_id: &str,
    user_id: Option<&str>,
) -> anyhow::Result<Option<String>> {
    let now = clock::now();
    let changed = sqlx::query(
        "UPDATE api_keys SET expiry_date = ?, revoked_by = ? WHERE id = ? AND service_id = ? AND expiry_date IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(key_id)
    .bind(service_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Ok(None);
    }
    sqlx::query(
        "INSERT INTO api_key_events (api_key_id, service_id, event, user_id, at) VALUES (?, ?, 'revoked', ?, ?)",
    )
    .bind(key_id)
    .bind(service_id)
    .bind(user_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let (name,): (String,) =
        sqlx::query_as("SELECT name FROM api_keys WHERE id = ?").bind(key_id).fetch_one(&mut **tx).await?;
    super::audit_key_in(tx, service_id, user_id, Some(key_id), &format!("Revoked API key ‘{name}’")).await?;
    Ok(Some(name))
}

#[derive(Clone, Debug, FromRow)]
pub struct ApiKeyEvent {
    pub api_key_id: String,
    pub event: String,
    pub user_id: Option<String>,
    pub at: Timestamp,
}

pub async fn api_key_events(pool: &Pool, service_id: &str) -> anyhow::Result<Vec<ApiKeyEvent>> {
    sqlx::query_as::<_, ApiKeyEvent>(
        "SELECT api_key_id, event, user_id, at FROM api_key_events WHERE service_id = ? ORDER BY id",
    )
    .bind(service_id)
    .fetch_all(&pool.db)
    .await
    .context("could not list API key events")
}

/// A key as authentication needs it (its secret still sealed).
#[derive(Clone, Debug, FromRow)]
pub struct AuthKey {
    pub id: String,
    pub service_id: String,
    pub name: String,
    pub key_type: KeyType,
    pub secret_ciphertext: String,
    /// The keyed digest of the secret (what `ApiKey-v1` is matched by).
    pub secret_digest: String,
    pub expiry_date: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
}

/// The service's keys that are unrevoked or were revoked after `revoked_since`.
pub async fn auth_keys(pool: &Pool, service_id: &str, revoked_since: Timestamp) -> anyhow::Result<Vec<AuthKey>> {
    sqlx::query_as::<_, AuthKey>(
        "SELECT id, service_id, name, key_type, secret_ciphertext, secret_digest, expiry_date, expires_at FROM api_keys
         WHERE service_id = ? AND (expiry_date IS NULL OR expiry_date > ?)",
    )
    .bind(service_id)
    .bind(revoked_since)
    .fetch_all(&pool.db)
    .await
    .context("could not load keys")
}

pub async fn auth_key_by_digest(pool: &Pool, digest: &str) -> anyhow::Result<Option<AuthKey>> {
    sqlx::query_as::<_, AuthKey>(
        "SELECT id, service_id, name, key_type, secret_ciphertext, secret_digest, expiry_date, expires_at FROM api_keys
         WHERE secret_digest = ?",
    )
    .bind(digest)
    .fetch_optional(&pool.db)
    .await
    .context("could not look up a key")
}

/// Writes a batch of last-used times in one transaction.
pub async fn record_last_used(pool: &Pool, uses: &[(String, Timestamp)]) -> anyhow::Result<()> {
    // Read first, then a transaction that only writes (a transaction that
    // reads and then writes cannot wait for another writer: SQLite answers
    // "database is locked" at once).
    let idle = super::idle_key_alerts(pool, uses).await?;
    let _turn = pool.write_turn().await;
    let mut tx = pool.begin_write().await?;
    for (key_id, at) in uses {
        sqlx::query("UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)")
            .bind(at)
            .bind(key_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
    }
    super::insert_idle_alerts(&mut tx, &idle).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets when a key stops working (`None`: never), as a revocation or an
/// expiry does.
pub async fn set_api_key_expiry(
    pool: &Pool,
    service_id: &str,
    key_id: &str,
    expiry_date: Option<Timestamp>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE api_keys SET expiry_date = ? WHERE id = ? AND service_id = ?")
        .bind(expiry_date)
        .bind(key_id)
        .bind(service_id)
        .execute(&pool.db)
        .await
        .context("could not set a key's expiry")?;
    pool.service_changed(service_id);
    Ok(())
}
