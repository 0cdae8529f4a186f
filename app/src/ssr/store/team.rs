//! A service's team: its members with their permissions, and the people
//! invited to join it (invitations by email, each a single-use token kept
//! as a digest).

use super::backend::{on_backend, on_tx, tx_methods, Id};
use super::Store;
use crate::domain::{Permission, Timestamp};
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

/// A member of a service.
#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: String,
    pub name: String,
    pub email_address: String,
    pub permissions: Vec<Permission>,
}

/// The service's members, by name, with their permissions.
pub async fn members(pool: &Store, service_id: &str) -> anyhow::Result<Vec<Member>> {
    let rows: Vec<(String, String, String, Option<String>)> = on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(u.id AS TEXT) AS id, u.name, u.email_address, string_agg(p.permission, ',')
         FROM service_users su JOIN users u ON u.id = su.user_id
         LEFT JOIN user_service_permissions p ON p.service_id = su.service_id AND p.user_id = su.user_id
         WHERE su.service_id = $1
         GROUP BY u.id ORDER BY lower(u.name), u.email_address",
    )
    .bind(Id(service_id))
    .fetch_all(db)
    .await)
    .context("could not list a service's members")?;
    Ok(rows
        .into_iter()
        .map(|(user_id, name, email_address, permissions)| Member {
            user_id,
            name,
            email_address,
            permissions: parse_permissions(permissions.as_deref().unwrap_or_default()),
        })
        .collect())
}

fn parse_permissions(text: &str) -> Vec<Permission> {
    let mut permissions: Vec<Permission> = text.split(',').filter_map(|p| Permission::parse(p.trim())).collect();
    permissions.sort_unstable();
    permissions.dedup();
    permissions
}

fn permissions_text(permissions: &[Permission]) -> String {
    permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
}

/// An invitation to join a service.
#[derive(Clone, Debug, FromRow)]
struct InvitationRow {
    id: String,
    service_id: String,
    service_name: String,
    email_address: String,
    invited_by_name: String,
    permissions: String,
    status: String,
    created_at: Timestamp,
}

/// An invitation, as its pages and rules need it.
#[derive(Clone, Debug)]
pub struct Invitation {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub email_address: String,
    pub invited_by_name: String,
    pub permissions: Vec<Permission>,
    /// `pending`, `accepted` or `cancelled`.
    pub status: String,
    pub created_at: Timestamp,
}

impl From<InvitationRow> for Invitation {
    fn from(r: InvitationRow) -> Self {
        Self {
            id: r.id,
            service_id: r.service_id,
            service_name: r.service_name,
            email_address: r.email_address,
            invited_by_name: r.invited_by_name,
            permissions: parse_permissions(&r.permissions),
            status: r.status,
            created_at: r.created_at,
        }
    }
}

macro_rules! select_invitations {
    ($rest:literal) => {
        concat!(
            "SELECT CAST(i.id AS TEXT) AS id, CAST(i.service_id AS TEXT) AS service_id, s.name AS service_name,
             i.email_address, u.name AS invited_by_name, i.permissions, i.status, i.created_at
             FROM invited_users i JOIN services s ON s.id = i.service_id JOIN users u ON u.id = i.invited_by ",
            $rest
        )
    };
}

/// The service's invitations still waiting (sent after `since`), oldest first.
pub async fn pending_invitations(pool: &Store, service_id: &str, since: Timestamp) -> anyhow::Result<Vec<Invitation>> {
    let rows: Vec<InvitationRow> = on_backend!(pool, |db| sqlx::query_as(select_invitations!(
        "WHERE i.service_id = $1 AND i.status = 'pending' AND i.created_at > $2 ORDER BY i.created_at"
    ))
    .bind(Id(service_id))
    .bind(since)
    .fetch_all(db)
    .await)
    .context("could not list invitations")?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The invitation whose token has this digest.
pub async fn invitation_by_token(pool: &Store, token_digest: &str) -> anyhow::Result<Option<Invitation>> {
    let row: Option<InvitationRow> =
        on_backend!(pool, |db| sqlx::query_as(select_invitations!("WHERE i.token_digest = $1"))
            .bind(token_digest)
            .fetch_optional(db)
            .await)
        .context("could not look up an invitation")?;
    Ok(row.map(Into::into))
}

/// Stores an invitation (its token as a digest), on the audit log as
/// `invited_by`'s: its id.
pub async fn create_invitation(
    pool: &Store,
    service_id: &str,
    email_address: &str,
    permissions: &[Permission],
    invited_by: &str,
    token_digest: &str,
) -> anyhow::Result<String> {
    let id = super::new_id();
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query(
            "INSERT INTO invited_users (id, service_id, email_address, invited_by, permissions, token_digest,
             status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)",
        )
        .bind(Id(&id))
        .bind(Id(service_id))
        .bind(email_address)
        .bind(Id(invited_by))
        .bind(permissions_text(permissions))
        .bind(token_digest)
        .bind(clock::now())
        .execute(&mut **tx)
        .await
        .context("could not store an invitation")?;
        let description = format!("Invited {email_address} to join the team");
        super::audit_key_in(tx, service_id, Some(invited_by), None, &description).await?;
    });
    write.commit().await?;
    Ok(id)
}

/// Cancels one of the service's waiting invitations: its email address, or
/// `None` when there is no such waiting invitation.
pub async fn cancel_invitation(
    pool: &Store,
    service_id: &str,
    invitation_id: &str,
    user_id: &str,
) -> anyhow::Result<Option<String>> {
    let mut write = pool.begin_write().await?;
    let email = on_tx!(&mut write, |tx| {
        let cancelled: Option<(String,)> = sqlx::query_as(
            "UPDATE invited_users SET status = 'cancelled', changed_at = $1
             WHERE id = $2 AND service_id = $3 AND status = 'pending' RETURNING email_address",
        )
        .bind(clock::now())
        .bind(Id(invitation_id))
        .bind(Id(service_id))
        .fetch_optional(&mut **tx)
        .await
        .context("could not cancel an invitation")?;
        let Some((email,)) = cancelled else { return Ok(None) };
        let description = format!("Cancelled the invitation to {email}");
        super::audit_key_in(tx, service_id, Some(user_id), None, &description).await?;
        email
    });
    write.commit().await?;
    Ok(Some(email))
}

/// Accepts a waiting invitation for `user_id`: the user joins the service
/// with the invitation's permissions (in one transaction, on the audit
/// log). `false` when it was not waiting any more (used, cancelled).
pub async fn accept_invitation(pool: &Store, invitation: &Invitation, user_id: &str) -> anyhow::Result<bool> {
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        let taken = sqlx::query(
            "UPDATE invited_users SET status = 'accepted', changed_at = $1 WHERE id = $2 AND status = 'pending'",
        )
        .bind(clock::now())
        .bind(Id(&invitation.id))
        .execute(&mut **tx)
        .await
        .context("could not accept an invitation")?;
        if taken.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO service_users (service_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(Id(&invitation.service_id))
            .bind(Id(user_id))
            .execute(&mut **tx)
            .await?;
        for p in &invitation.permissions {
            sqlx::query(
                "INSERT INTO user_service_permissions (service_id, user_id, permission)
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(Id(&invitation.service_id))
            .bind(Id(user_id))
            .bind(p.as_str())
            .execute(&mut **tx)
            .await?;
        }
        let description = format!("{} accepted the invitation and joined the team", invitation.email_address);
        super::audit_key_in(tx, &invitation.service_id, Some(user_id), None, &description).await?;
    });
    write.commit().await?;
    pool.service_changed(&invitation.service_id);
    Ok(true)
}

/// Why a member's permissions cannot change, or they cannot leave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TeamError {
    /// Not a member of the service.
    NotMember,
    /// The only member who may manage the service would lose it.
    LastManager,
}

tx_methods! {
    /// The team as a write transaction reads it.
    trait TeamTx {
        /// How many members of the service other than `user_id` hold
        /// `manage_service`.
        async fn other_managers(&mut self, service_id: &str, user_id: &str) -> anyhow::Result<i64> {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT count(*) FROM user_service_permissions
                 WHERE service_id = $1 AND permission = 'manage_service' AND user_id != $2",
            )
            .bind(Id(service_id))
            .bind(Id(user_id))
            .fetch_one(&mut **self)
            .await?;
            Ok(n)
        }

        /// The member's name, email address and permissions.
        async fn member_in(
            &mut self,
            service_id: &str,
            user_id: &str,
        ) -> anyhow::Result<Option<(String, String, Vec<Permission>)>> {
            let row: Option<(String, String, Option<String>)> = sqlx::query_as(
                "SELECT u.name, u.email_address,
                        (SELECT string_agg(permission, ',') FROM user_service_permissions p
                         WHERE p.service_id = su.service_id AND p.user_id = su.user_id)
                 FROM service_users su JOIN users u ON u.id = su.user_id
                 WHERE su.service_id = $1 AND su.user_id = $2",
            )
            .bind(Id(service_id))
            .bind(Id(user_id))
            .fetch_optional(&mut **self)
            .await?;
            Ok(row.map(|(name, email, p)| (name, email, parse_permissions(p.as_deref().unwrap_or_default()))))
        }
    }
}

/// Gives a member exactly `permissions` (on the audit log as `by`'s
/// change); the service always keeps a member who may manage it.
pub async fn set_member_permissions(
    pool: &Store,
    service_id: &str,
    user_id: &str,
    permissions: &[Permission],
    by: &str,
) -> anyhow::Result<Result<(), TeamError>> {
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        let Some((name, _, before)) = tx.member_in(service_id, user_id).await? else {
            return Ok(Err(TeamError::NotMember));
        };
        if before.contains(&Permission::ManageService)
            && !permissions.contains(&Permission::ManageService)
            && tx.other_managers(service_id, user_id).await? == 0
        {
            return Ok(Err(TeamError::LastManager));
        }
        sqlx::query("DELETE FROM user_service_permissions WHERE service_id = $1 AND user_id = $2")
            .bind(Id(service_id))
            .bind(Id(user_id))
            .execute(&mut **tx)
            .await?;
        for p in permissions {
            sqlx::query(
                "INSERT INTO user_service_permissions (service_id, user_id, permission)
                 VALUES ($1, $2, $3)",
            )
            .bind(Id(service_id))
            .bind(Id(user_id))
            .bind(p.as_str())
            .execute(&mut **tx)
            .await?;
        }
        let now: Vec<&str> =
            Permission::NOTIFY_ORDER.iter().filter(|p| permissions.contains(p)).map(|p| p.label()).collect();
        let description = if now.is_empty() {
            format!("Changed {name}’s permissions to none")
        } else {
            format!("Changed {name}’s permissions to: {}", now.join(", "))
        };
        super::audit_key_in(tx, service_id, Some(by), None, &description).await?;
    });
    write.commit().await?;
    Ok(Ok(()))
}

/// Removes a member from the service (on the audit log as `by`'s change),
/// recording the departure for the API integration pages' warning; the
/// service always keeps a member who may manage it. The member's name.
pub async fn remove_member(
    pool: &Store,
    service_id: &str,
    user_id: &str,
    by: &str,
) -> anyhow::Result<Result<String, TeamError>> {
    let mut write = pool.begin_write().await?;
    let name = on_tx!(&mut write, |tx| {
        let Some((name, email, permissions)) = tx.member_in(service_id, user_id).await? else {
            return Ok(Err(TeamError::NotMember));
        };
        if permissions.contains(&Permission::ManageService) && tx.other_managers(service_id, user_id).await? == 0 {
            return Ok(Err(TeamError::LastManager));
        }
        sqlx::query("DELETE FROM service_users WHERE service_id = $1 AND user_id = $2")
            .bind(Id(service_id))
            .bind(Id(user_id))
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO departures (id, service_id, user_id, name, email_address, left_at, saw_keys)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Id(&super::new_id()))
        .bind(Id(service_id))
        .bind(Id(user_id))
        .bind(&name)
        .bind(&email)
        .bind(clock::now())
        .bind(permissions.contains(&Permission::ManageApiKeys))
        .execute(&mut **tx)
        .await?;
        let description = format!("Removed {name} ({email}) from the team");
        super::audit_key_in(tx, service_id, Some(by), None, &description).await?;
        name
    });
    write.commit().await?;
    pool.service_changed(service_id);
    Ok(Ok(name))
}

/// A member who left while they could see the service's API keys, and the
/// keys of that time still working unrotated.
#[derive(Clone, Debug)]
pub struct DepartureWarning {
    pub id: String,
    pub name: String,
    pub left_at: Timestamp,
    /// (key id, key name)
    pub keys: Vec<(String, String)>,
}

/// The departures to warn about: not dismissed, with at least one key left
/// to rotate (made before they left, neither revoked, rotated nor expired).
pub async fn departure_warnings(pool: &Store, service_id: &str) -> anyhow::Result<Vec<DepartureWarning>> {
    let departures: Vec<(String, String, Timestamp)> = on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT) AS id, name, left_at FROM departures
         WHERE service_id = $1 AND dismissed_at IS NULL AND saw_keys = TRUE ORDER BY left_at DESC",
    )
    .bind(Id(service_id))
    .fetch_all(db)
    .await)
    .context("could not read departures")?;
    let mut warnings = Vec::new();
    for (id, name, left_at) in departures {
        let keys: Vec<(String, String)> = on_backend!(pool, |db| sqlx::query_as(
            "SELECT CAST(id AS TEXT) AS id, name FROM api_keys
             WHERE service_id = $1 AND created_at < $2 AND expiry_date IS NULL AND rotated_to IS NULL
               AND (expires_at IS NULL OR expires_at > $3)
             ORDER BY created_at",
        )
        .bind(Id(service_id))
        .bind(left_at)
        .bind(clock::now())
        .fetch_all(db)
        .await)?;
        if !keys.is_empty() {
            warnings.push(DepartureWarning { id, name, left_at, keys });
        }
    }
    Ok(warnings)
}

/// Dismisses one of the service's departure warnings (on the audit log):
/// whether there was such a warning.
pub async fn dismiss_departure(pool: &Store, service_id: &str, id: &str, by: &str) -> anyhow::Result<bool> {
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        let dismissed: Option<(String,)> = sqlx::query_as(
            "UPDATE departures SET dismissed_at = $1, dismissed_by = $2
             WHERE id = $3 AND service_id = $4 AND dismissed_at IS NULL RETURNING name",
        )
        .bind(clock::now())
        .bind(Id(by))
        .bind(Id(id))
        .bind(Id(service_id))
        .fetch_optional(&mut **tx)
        .await?;
        let Some((name,)) = dismissed else { return Ok(false) };
        let description = format!("Dismissed the warning to rotate the keys {name} could see");
        super::audit_key_in(tx, service_id, Some(by), None, &description).await?;
    });
    write.commit().await?;
    Ok(true)
}
