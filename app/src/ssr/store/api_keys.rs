//! API keys (secrets sealed, with a keyed digest for look-ups), their events, and what authentication reads.

use super::backend::{on_backend, on_tx, tx_methods, Id};
use super::{Store, UsageTx};
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
pub async fn create_api_key(pool: &Store, key: NewApiKey<'_>) -> anyhow::Result<Result<String, CreateKeyError>> {
    let mut write = pool.begin_write().await?;
    let created = on_tx!(&mut write, |tx| tx.insert_api_key(&key).await?);
    write.commit().await?;
    if created.is_ok() {
        pool.service_changed(key.service_id);
    }
    Ok(created)
}

/// Rotates a working key in one step: `new` (the same name and type) is
/// created, and the old key is marked replaced and stops working at
/// `old_expires_at`. `None`: the old key is not a working, unrotated key of
/// the service.
pub async fn rotate_api_key(
    pool: &Store,
    old_key_id: &str,
    new: NewApiKey<'_>,
    old_expires_at: Timestamp,
) -> anyhow::Result<Option<String>> {
    let mut write = pool.begin_write().await?;
    let new_id = on_tx!(&mut write, |tx| {
        // A placeholder first, so the old key leaves the unique name index
        // before the new one joins it; then the real id.
        let marked = sqlx::query(
            "UPDATE api_keys SET rotated_to = $5, expires_at = $1
             WHERE id = $2 AND service_id = $3 AND expiry_date IS NULL AND rotated_to IS NULL
               AND (expires_at IS NULL OR expires_at > $4)",
        )
        .bind(old_expires_at)
        .bind(Id(old_key_id))
        .bind(Id(new.service_id))
        .bind(clock::now())
        // A placeholder no key has (ids are random).
        .bind(Id("00000000-0000-0000-0000-000000000000"))
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if marked != 1 {
            return Ok(None);
        }
        let Ok(new_id) = tx.insert_api_key(&new).await? else { return Ok(None) };
        sqlx::query("UPDATE api_keys SET rotated_to = $1 WHERE id = $2")
            .bind(Id(&new_id))
            .bind(Id(old_key_id))
            .execute(&mut **tx)
            .await?;
        let until = crate::domain::london_time::datetime_short(old_expires_at.time());
        let description = format!("Rotated API key ‘{}’: the previous key stops working {until}", new.name);
        super::audit_key_in(tx, new.service_id, new.created_by, Some(old_key_id), &description).await?;
        new_id
    });
    write.commit().await?;
    pool.service_changed(new.service_id);
    Ok(Some(new_id))
}

pub async fn api_key_name_taken(pool: &Store, service_id: &str, fingerprint: &str) -> anyhow::Result<bool> {
    let row: Option<(i32,)> = on_backend!(pool, |db| sqlx::query_as(
        "SELECT 1 FROM api_keys WHERE service_id = $1 AND name_fingerprint = $2 AND expiry_date IS NULL
             AND rotated_to IS NULL",
    )
    .bind(Id(service_id))
    .bind(fingerprint)
    .fetch_optional(db)
    .await)?;
    Ok(row.is_some())
}

/// The service's keys that are unrevoked or were revoked after `revoked_since`.
pub async fn list_api_keys(pool: &Store, service_id: &str, revoked_since: Timestamp) -> anyhow::Result<Vec<ApiKey>> {
    on_backend!(pool, |db| sqlx::query_as::<_, ApiKey>(
        "SELECT CAST(id AS TEXT) AS id, CAST(service_id AS TEXT) AS service_id, CAST(created_by AS TEXT) AS
         created_by, name, key_type, created_at, expiry_date, last_used_at, expires_at, CAST(rotated_to AS TEXT) AS
         rotated_to FROM api_keys WHERE service_id = $1 AND (expiry_date IS NULL OR expiry_date > $2) AND
         (expires_at IS NULL OR expires_at > $2) ORDER BY lower(name), created_at",
    )
    .bind(Id(service_id))
    .bind(revoked_since)
    .fetch_all(db)
    .await)
    .context("could not list API keys")
}

pub async fn get_api_key(pool: &Store, service_id: &str, key_id: &str) -> anyhow::Result<Option<ApiKey>> {
    on_backend!(pool, |db| sqlx::query_as::<_, ApiKey>(
        "SELECT CAST(id AS TEXT) AS id, CAST(service_id AS TEXT) AS service_id, CAST(created_by AS TEXT) AS
         created_by, name, key_type, created_at, expiry_date, last_used_at, expires_at, CAST(rotated_to AS TEXT) AS
         rotated_to FROM api_keys WHERE id = $1 AND service_id = $2",
    )
    .bind(Id(key_id))
    .bind(Id(service_id))
    .fetch_optional(db)
    .await)
    .context("could not load an API key")
}

/// Revokes an unrevoked key (recording who and when). Returns false, and
/// changes nothing, when the key was already revoked.
pub async fn revoke_api_key(
    pool: &Store,
    service_id: &str,
    key_id: &str,
    user_id: Option<&str>,
) -> anyhow::Result<bool> {
    let mut write = pool.begin_write().await?;
    let revoked = on_tx!(&mut write, |tx| tx.revoke_in(service_id, key_id, user_id).await?);
    write.commit().await?;
    pool.service_changed(service_id);
    Ok(revoked.is_some())
}

/// Revokes a key reported leaked, if it still worked, and records the
/// report in the same transaction: `describe` gets the key's name and
/// whether it still worked and words the report. Returns whether it was
/// revoked now; `None`: no such key of the service.
pub async fn revoke_leaked_key(
    pool: &Store,
    service_id: &str,
    key_id: &str,
    describe: impl FnOnce(&str, bool) -> String,
) -> anyhow::Result<Option<bool>> {
    let mut write = pool.begin_write().await?;
    let revoked = on_tx!(&mut write, |tx| {
        let revoked = tx.revoke_in(service_id, key_id, None).await?;
        let name = match &revoked {
            Some(name) => name.clone(),
            None => {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT name FROM api_keys WHERE id = $1 AND service_id = $2")
                        .bind(Id(key_id))
                        .bind(Id(service_id))
                        .fetch_optional(&mut **tx)
                        .await?;
                match row {
                    Some((name,)) => name,
                    None => return Ok(None),
                }
            }
        };
        super::audit_leak_in(tx, service_id, key_id, &describe(&name, revoked.is_some())).await?;
        revoked
    });
    write.commit().await?;
    pool.service_changed(service_id);
    Ok(Some(revoked.is_some()))
}

tx_methods! {
    /// Keys written inside a transaction.
    trait KeyTx {
        /// Inserts a key and its `created` event.
        async fn insert_api_key(&mut self, key: &NewApiKey<'_>) -> anyhow::Result<Result<String, CreateKeyError>> {
            let id = key.id.to_string();
            let now = clock::now();
            let inserted = sqlx::query(
                "INSERT INTO api_keys (id, service_id, name, name_fingerprint, key_type, secret_ciphertext,
                 secret_digest, created_by, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(Id(&id))
            .bind(Id(key.service_id))
            .bind(key.name)
            .bind(key.name_fingerprint)
            .bind(key.key_type)
            .bind(key.secret_ciphertext)
            .bind(key.secret_digest)
            .bind(key.created_by.map(Id))
            .bind(now)
            .bind(key.expires_at)
            .execute(&mut **self)
            .await;
            match inserted {
                Ok(_) => {}
                // SQLite names the columns, PostgreSQL the index.
                Err(sqlx::Error::Database(e))
                    if e.is_unique_violation()
                        && (e.message().contains("name_fingerprint") || e.constraint() ==
                         Some("api_keys_unrevoked_name")) =>
                {
                    return Ok(Err(CreateKeyError::DuplicateName));
                }
                Err(e) => return Err(anyhow::Error::new(e).context("could not create an API key")),
            }
            sqlx::query(
                "INSERT INTO api_key_events (api_key_id, service_id, event, user_id, at)
                 VALUES ($1, $2, 'created', $3, $4)",
            )
            .bind(Id(&id))
            .bind(Id(key.service_id))
            .bind(key.created_by.map(Id))
            .bind(now)
            .execute(&mut **self)
            .await?;
            let lifetime = match key.expires_at {
                Some(at) => format!(", expiring {}", crate::domain::london_time::datetime_short(at.time())),
                None => String::new(),
            };
            let description = format!("Created API key ‘{}’ ({}{lifetime})", key.name, key.key_type.description());
            super::audit_key_in(self, key.service_id, key.created_by, Some(&id), &description).await?;
            Ok(Ok(id))
        }

        /// Revokes the key if it is unrevoked, with its event and audit entry:
        /// its name, or `None` when nothing changed.
        async fn revoke_in(
            &mut self,
            service_id: &str,
            key_id: &str,
            user_id: Option<&str>,
        ) -> anyhow::Result<Option<String>> {
            let now = clock::now();
            let changed = sqlx::query(
                "UPDATE api_keys SET expiry_date = $1, revoked_by = $2
                 WHERE id = $3 AND service_id = $4 AND expiry_date IS NULL",
            )
            .bind(now)
            .bind(user_id.map(Id))
            .bind(Id(key_id))
            .bind(Id(service_id))
            .execute(&mut **self)
            .await?
            .rows_affected();
            if changed != 1 {
                return Ok(None);
            }
            sqlx::query(
                "INSERT INTO api_key_events (api_key_id, service_id, event, user_id, at)
                 VALUES ($1, $2, 'revoked', $3, $4)",
            )
            .bind(Id(key_id))
            .bind(Id(service_id))
            .bind(user_id.map(Id))
            .bind(now)
            .execute(&mut **self)
            .await?;
            let (name,): (String,) = sqlx::query_as("SELECT name FROM api_keys WHERE id = $1")
                .bind(Id(key_id))
                .fetch_one(&mut **self)
                .await?;
            let description = format!("Revoked API key ‘{name}’");
            super::audit_key_in(self, service_id, user_id, Some(key_id), &description).await?;
            Ok(Some(name))
        }
    }
}

#[derive(Clone, Debug, FromRow)]
pub struct ApiKeyEvent {
    pub api_key_id: String,
    pub event: String,
    pub user_id: Option<String>,
    pub at: Timestamp,
}

pub async fn api_key_events(pool: &Store, service_id: &str) -> anyhow::Result<Vec<ApiKeyEvent>> {
    on_backend!(pool, |db| sqlx::query_as::<_, ApiKeyEvent>(
        "SELECT CAST(api_key_id AS TEXT) AS api_key_id, event, CAST(user_id AS TEXT) AS user_id, at
         FROM api_key_events WHERE service_id = $1 ORDER BY id",
    )
    .bind(Id(service_id))
    .fetch_all(db)
    .await)
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
pub async fn auth_keys(pool: &Store, service_id: &str, revoked_since: Timestamp) -> anyhow::Result<Vec<AuthKey>> {
    on_backend!(pool, |db| sqlx::query_as::<_, AuthKey>(
        "SELECT CAST(id AS TEXT) AS id, CAST(service_id AS TEXT) AS service_id, name, key_type, secret_ciphertext,
         secret_digest, expiry_date, expires_at FROM api_keys
         WHERE service_id = $1 AND (expiry_date IS NULL OR expiry_date > $2)",
    )
    .bind(Id(service_id))
    .bind(revoked_since)
    .fetch_all(db)
    .await)
    .context("could not load keys")
}

pub async fn auth_key_by_digest(pool: &Store, digest: &str) -> anyhow::Result<Option<AuthKey>> {
    on_backend!(pool, |db| sqlx::query_as::<_, AuthKey>(
        "SELECT CAST(id AS TEXT) AS id, CAST(service_id AS TEXT) AS service_id, name, key_type, secret_ciphertext,
         secret_digest, expiry_date, expires_at FROM api_keys WHERE secret_digest = $1",
    )
    .bind(digest)
    .fetch_optional(db)
    .await)
    .context("could not look up a key")
}

/// Writes a batch of last-used times in one transaction.
pub async fn record_last_used(pool: &Store, uses: &[(String, Timestamp)]) -> anyhow::Result<()> {
    // Read first, then a transaction that only writes (a transaction that
    // reads and then writes cannot wait for another writer: SQLite answers
    // "database is locked" at once).
    let idle = super::idle_key_alerts(pool, uses).await?;
    let _turn = pool.write_turn().await;
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        for (key_id, at) in uses {
            sqlx::query(
                "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
            )
            .bind(at)
            .bind(Id(key_id))
            .execute(&mut **tx)
            .await?;
        }
        tx.insert_idle_alerts(&idle).await?;
    });
    write.commit().await?;
    Ok(())
}

/// Sets when a key stops working (`None`: never), as a revocation or an
/// expiry does.
pub async fn set_api_key_expiry(
    pool: &Store,
    service_id: &str,
    key_id: &str,
    expiry_date: Option<Timestamp>,
) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("UPDATE api_keys SET expiry_date = $1 WHERE id = $2 AND service_id = $3")
        .bind(expiry_date)
        .bind(Id(key_id))
        .bind(Id(service_id))
        .execute(db)
        .await
        .map(|done| done.rows_affected()))
    .context("could not set a key's expiry")?;
    pool.service_changed(service_id);
    Ok(())
}
