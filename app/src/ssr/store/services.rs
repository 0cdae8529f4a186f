//! Services, their permissions and limits, and who belongs to them with which permissions.

use super::backend::{on_backend, on_tx, Id};
use super::{new_id, SenderTx, Store};
use crate::domain::{Permission, ServicePermission, TemplateType};
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

#[derive(Clone, Debug, FromRow)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub restricted: bool,
    pub active: bool,
    /// The longest lifetime its new API keys may have (`None`: no limit).
    pub max_key_lifetime_days: Option<i64>,
}

pub async fn create_service(
    pool: &Store,
    name: &str,
    restricted: bool,
    permissions: &[ServicePermission],
) -> anyhow::Result<String> {
    let id = new_id();
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query("INSERT INTO services (id, name, restricted, active, created_at) VALUES ($1, $2, $3, TRUE, $4)")
            .bind(Id(&id))
            .bind(name)
            .bind(restricted)
            .bind(clock::now())
            .execute(&mut **tx)
            .await
            .context("could not create the service")?;
        for p in permissions {
            sqlx::query("INSERT INTO service_permissions (service_id, permission) VALUES ($1, $2)")
                .bind(Id(&id))
                .bind(p.as_str())
                .execute(&mut **tx)
                .await?;
        }
        // Texts go from GOVUK until the service chooses its own sender, as in Notify.
        let _ = tx
            .insert_sender(
                &id,
                crate::domain::senders::SenderKind::SmsSender,
                crate::domain::sms_sender::DEFAULT_SENDER,
                true,
            )
            .await?;
    });
    write.commit().await?;
    pool.service_changed(&id);
    Ok(id)
}

pub async fn get_service(pool: &Store, id: &str) -> anyhow::Result<Option<Service>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Service>(
        "SELECT CAST(id AS TEXT) AS id, name, restricted, active, max_key_lifetime_days
         FROM services WHERE id = $1",
    )
    .bind(Id(id))
    .fetch_optional(db)
    .await)
    .context("could not load a service")
}

pub async fn find_service_by_name(pool: &Store, name: &str) -> anyhow::Result<Option<Service>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Service>(
        "SELECT CAST(id AS TEXT) AS id, name, restricted, active, max_key_lifetime_days
         FROM services WHERE lower(name) = lower($1)",
    )
    .bind(name)
    .fetch_optional(db)
    .await)
    .context("could not look up a service")
}

pub async fn service_permissions(pool: &Store, service_id: &str) -> anyhow::Result<Vec<ServicePermission>> {
    let rows: Vec<(String,)> =
        on_backend!(pool, |db| sqlx::query_as("SELECT permission FROM service_permissions WHERE service_id = $1")
            .bind(Id(service_id))
            .fetch_all(db)
            .await)
        .context("could not load service permissions")?;
    let mut out: Vec<_> = rows.iter().filter_map(|(p,)| ServicePermission::parse(p)).collect();
    out.sort();
    Ok(out)
}

pub async fn set_restricted(pool: &Store, service_id: &str, restricted: bool) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("UPDATE services SET restricted = $1 WHERE id = $2")
        .bind(restricted)
        .bind(Id(service_id))
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
    pool.service_changed(service_id);
    Ok(())
}

pub async fn set_rate_limit(pool: &Store, service_id: &str, limit: i64) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("UPDATE services SET rate_limit = $1 WHERE id = $2")
        .bind(limit)
        .bind(Id(service_id))
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
    pool.service_changed(service_id);
    Ok(())
}

pub async fn all_services(pool: &Store) -> anyhow::Result<Vec<Service>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Service>(
        "SELECT CAST(id AS TEXT) AS id, name, restricted, active, max_key_lifetime_days
         FROM services ORDER BY lower(name)",
    )
    .fetch_all(db)
    .await)
    .context("could not list services")
}

/// The active services a user belongs to, by name.
pub async fn services_for_user(pool: &Store, user_id: &str) -> anyhow::Result<Vec<Service>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Service>(
        "SELECT CAST(s.id AS TEXT) AS id, s.name, s.restricted, s.active, s.max_key_lifetime_days FROM services s
         JOIN service_users su ON su.service_id = s.id
         WHERE su.user_id = $1 AND s.active = TRUE
         ORDER BY lower(s.name)",
    )
    .bind(Id(user_id))
    .fetch_all(db)
    .await)
    .context("could not list a user's services")
}

/// Adds the user to the service (if not already a member) and grants the
/// permissions. Granting is idempotent.
pub async fn grant(pool: &Store, user_id: &str, service_id: &str, permissions: &[Permission]) -> anyhow::Result<()> {
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query("INSERT INTO service_users (service_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(Id(service_id))
            .bind(Id(user_id))
            .execute(&mut **tx)
            .await
            .context("could not add a user to a service")?;
        for p in permissions {
            sqlx::query(
                "INSERT INTO user_service_permissions (service_id, user_id, permission)
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(Id(service_id))
            .bind(Id(user_id))
            .bind(p.as_str())
            .execute(&mut **tx)
            .await?;
        }
    });
    write.commit().await?;
    Ok(())
}

/// `None` when the user is not a member of the service; otherwise the
/// permissions they hold there (possibly none).
pub async fn user_permissions(
    pool: &Store,
    user_id: &str,
    service_id: &str,
) -> anyhow::Result<Option<Vec<Permission>>> {
    let member: Option<(i32,)> =
        on_backend!(pool, |db| sqlx::query_as("SELECT 1 FROM service_users WHERE service_id = $1 AND user_id = $2")
            .bind(Id(service_id))
            .bind(Id(user_id))
            .fetch_optional(db)
            .await)
        .context("could not check membership")?;
    if member.is_none() {
        return Ok(None);
    }
    let rows: Vec<(String,)> = on_backend!(pool, |db| sqlx::query_as(
        "SELECT permission FROM user_service_permissions WHERE service_id = $1 AND user_id = $2"
    )
    .bind(Id(service_id))
    .bind(Id(user_id))
    .fetch_all(db)
    .await)
    .context("could not load permissions")?;
    let mut out: Vec<_> = rows.iter().filter_map(|(p,)| Permission::parse(p)).collect();
    out.sort();
    Ok(Some(out))
}

pub async fn set_daily_limit(
    pool: &Store,
    service_id: &str,
    notification_type: TemplateType,
    limit: i64,
) -> anyhow::Result<()> {
    let sql = match notification_type {
        TemplateType::Email => "UPDATE services SET email_message_limit = $1 WHERE id = $2",
        TemplateType::Sms => "UPDATE services SET sms_message_limit = $1 WHERE id = $2",
        TemplateType::Letter => "UPDATE services SET letter_message_limit = $1 WHERE id = $2",
    };
    on_backend!(pool, |db| sqlx::query(sql)
        .bind(limit)
        .bind(Id(service_id))
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
    pool.service_changed(service_id);
    Ok(())
}

/// Sets the longest lifetime the service's new API keys may have (`None`:
/// no limit). Keys already made keep theirs.
pub async fn set_max_key_lifetime(pool: &Store, service_id: &str, days: Option<i64>) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("UPDATE services SET max_key_lifetime_days = $1 WHERE id = $2")
        .bind(days)
        .bind(Id(service_id))
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
    pool.service_changed(service_id);
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

impl SendingService {
    /// The daily limit of messages of type `t`.
    pub fn daily_limit(&self, t: TemplateType) -> i64 {
        match t {
            TemplateType::Email => self.email_message_limit,
            TemplateType::Sms => self.sms_message_limit,
            TemplateType::Letter => self.letter_message_limit,
        }
    }
}

pub async fn sending_service(pool: &Store, service_id: &str) -> anyhow::Result<SendingService> {
    on_backend!(pool, |db| sqlx::query_as::<_, SendingService>(
        "SELECT rate_limit, email_message_limit, sms_message_limit, letter_message_limit, COALESCE((SELECT
         string_agg(permission, ',') FROM service_permissions WHERE service_id = s.id), '') AS permissions
         FROM services s WHERE id = $1",
    )
    .bind(Id(service_id))
    .fetch_one(db)
    .await)
    .context("could not load a service for sending")
}

/// Archives a service (`active = false`) or brings it back.
pub async fn set_service_active(pool: &Store, service_id: &str, active: bool) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("UPDATE services SET active = $1 WHERE id = $2")
        .bind(active)
        .bind(Id(service_id))
        .execute(db)
        .await
        .map(|done| done.rows_affected()))?;
    pool.service_changed(service_id);
    Ok(())
}

/// Replaces what the service may do (send letters, receive texts…).
pub async fn set_service_permissions(
    pool: &Store,
    service_id: &str,
    permissions: &[ServicePermission],
) -> anyhow::Result<()> {
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query("DELETE FROM service_permissions WHERE service_id = $1")
            .bind(Id(service_id))
            .execute(&mut **tx)
            .await?;
        for p in permissions {
            sqlx::query("INSERT INTO service_permissions (service_id, permission) VALUES ($1, $2)")
                .bind(Id(service_id))
                .bind(p.as_str())
                .execute(&mut **tx)
                .await?;
        }
    });
    write.commit().await?;
    pool.service_changed(service_id);
    Ok(())
}
