//! Services, their permissions and limits, and who belongs to them with which permissions.

use super::{new_id, Pool};
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
    pool: &Pool,
    name: &str,
    restricted: bool,
    permissions: &[ServicePermission],
) -> anyhow::Result<String> {
    let id = new_id();
    let mut tx = pool.begin_write().await?;
    sqlx::query("INSERT INTO services (id, name, restricted, active, created_at) VALUES (?, ?, ?, 1, ?)")
        .bind(&id)
        .bind(name)
        .bind(restricted)
        .bind(clock::now())
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
    // Texts go from GOVUK until the service chooses its own sender, as in Notify.
    let _ = super::insert_sender(
        &mut tx,
        &id,
        crate::domain::senders::SenderKind::SmsSender,
        crate::domain::sms_sender::DEFAULT_SENDER,
        true,
    )
    .await?;
    tx.commit().await?;
    pool.service_changed(&id);
    Ok(id)
}

pub async fn get_service(pool: &Pool, id: &str) -> anyhow::Result<Option<Service>> {
    sqlx::query_as::<_, Service>(
        "SELECT id, name, restricted, active, max_key_lifetime_days FROM services WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&pool.db)
    .await
    .context("could not load a service")
}

pub async fn find_service_by_name(pool: &Pool, name: &str) -> anyhow::Result<Option<Service>> {
    sqlx::query_as::<_, Service>(
        "SELECT id, name, restricted, active, max_key_lifetime_days FROM services WHERE name = ? COLLATE NOCASE",
    )
    .bind(name)
    .fetch_optional(&pool.db)
    .await
    .context("could not look up a service")
}

pub async fn service_permissions(pool: &Pool, service_id: &str) -> anyhow::Result<Vec<ServicePermission>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT permission FROM service_permissions WHERE service_id = ?")
        .bind(service_id)
        .fetch_all(&pool.db)
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
        .execute(&pool.db)
        .await?;
    pool.service_changed(service_id);
    Ok(())
}

pub async fn set_rate_limit(pool: &Pool, service_id: &str, limit: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE services SET rate_limit = ? WHERE id = ?")
        .bind(limit)
        .bind(service_id)
        .execute(&pool.db)
        .await?;
    pool.service_changed(service_id);
    Ok(())
}

pub async fn all_services(pool: &Pool) -> anyhow::Result<Vec<Service>> {
    sqlx::query_as::<_, Service>(
        "SELECT id, name, restricted, active, max_key_lifetime_days FROM services ORDER BY name COLLATE NOCASE",
    )
    .fetch_all(&pool.db)
    .await
    .context("could not list services")
}

/// The active services a user belongs to, by name.
pub async fn services_for_user(pool: &Pool, user_id: &str) -> anyhow::Result<Vec<Service>> {
    sqlx::query_as::<_, Service>(
        "SELECT s.id, s.name, s.restricted, s.active, s.max_key_lifetime_days FROM services s
         JOIN service_users su ON su.service_id = s.id
         WHERE su.user_id = ? AND s.active = 1
         ORDER BY s.name COLLATE NOCASE",
    )
    .bind(user_id)
    .fetch_all(&pool.db)
    .await
    .context("could not list a user's services")
}

/// Adds the user to the service (if not already a member) and grants the
/// permissions. Granting is idempotent.
pub async fn grant(pool: &Pool, user_id: &str, service_id: &str, permissions: &[Permission]) -> anyhow::Result<()> {
    let mut tx = pool.begin_write().await?;
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
        .fetch_optional(&pool.db)
        .await
        .context("could not check membership")?;
    if member.is_none() {
        return Ok(None);
    }
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT permission FROM user_service_permissions WHERE service_id = ? AND user_id = ?")
            .bind(service_id)
            .bind(user_id)
            .fetch_all(&pool.db)
            .await
            .context("could not load permissions")?;
    let mut out: Vec<_> = rows.iter().filter_map(|(p,)| Permission::parse(p)).collect();
    out.sort();
    Ok(Some(out))
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
    sqlx::query(sql).bind(limit).bind(service_id).execute(&pool.db).await?;
    pool.service_changed(service_id);
    Ok(())
}

/// Sets the longest lifetime the service's new API keys may have (`None`:
/// no limit). Keys already made keep theirs.
pub async fn set_max_key_lifetime(pool: &Pool, service_id: &str, days: Option<i64>) -> anyhow::Result<()> {
    sqlx::query("UPDATE services SET max_key_lifetime_days = ? WHERE id = ?")
        .bind(days)
        .bind(service_id)
        .execute(&pool.db)
        .await?;
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

pub async fn sending_service(pool: &Pool, service_id: &str) -> anyhow::Result<SendingService> {
    sqlx::query_as::<_, SendingService>(
        "SELECT rate_limit, email_message_limit, sms_message_limit, letter_message_limit,
                COALESCE((SELECT group_concat(permission) FROM service_permissions WHERE service_id = s.id), '') AS permissions
         FROM services s WHERE id = ?",
    )
    .bind(service_id)
    .fetch_one(&pool.db)
    .await
    .context("could not load a service for sending")
}

/// Archives a service (`active = false`) or brings it back.
pub async fn set_service_active(pool: &Pool, service_id: &str, active: bool) -> anyhow::Result<()> {
    sqlx::query("UPDATE services SET active = ? WHERE id = ?").bind(active).bind(service_id).execute(&pool.db).await?;
    pool.service_changed(service_id);
    Ok(())
}

/// Replaces what the service may do (send letters, receive texts…).
pub async fn set_service_permissions(
    pool: &Pool,
    service_id: &str,
    permissions: &[ServicePermission],
) -> anyhow::Result<()> {
    let mut tx = pool.begin_write().await?;
    sqlx::query("DELETE FROM service_permissions WHERE service_id = ?").bind(service_id).execute(&mut *tx).await?;
    for p in permissions {
        sqlx::query("INSERT INTO service_permissions (service_id, permission) VALUES (?, ?)")
            .bind(service_id)
            .bind(p.as_str())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    pool.service_changed(service_id);
    Ok(())
}
