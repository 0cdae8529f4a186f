//! The guest list: who team keys and trial services may send to, beside the team.

use super::backend::{on_backend, on_tx, Id};
use super::Store;
use anyhow::Context;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredGuestList {
    pub email_addresses: Vec<String>,
    pub phone_numbers: Vec<String>,
}

pub async fn guest_list(pool: &Store, service_id: &str) -> anyhow::Result<StoredGuestList> {
    let rows: Vec<(String, String)> = on_backend!(pool, |db| sqlx::query_as(
        "SELECT recipient_type, recipient FROM guest_list WHERE service_id = $1 ORDER BY recipient_type, position",
    )
    .bind(Id(service_id))
    .fetch_all(db)
    .await)
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

/// Replaces the whole guest list, recording `audit` with it.
pub async fn replace_guest_list(
    pool: &Store,
    service_id: &str,
    emails: &[String],
    phones: &[String],
    audit: super::Audit<'_>,
) -> anyhow::Result<()> {
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query("DELETE FROM guest_list WHERE service_id = $1").bind(Id(service_id)).execute(&mut **tx).await?;
        for (kind, list) in [("email", emails), ("mobile", phones)] {
            for (position, recipient) in list.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO guest_list (service_id, recipient_type, recipient, position)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(Id(service_id))
                .bind(kind)
                .bind(recipient)
                .bind(position as i64)
                .execute(&mut **tx)
                .await?;
            }
        }
    });
    super::audit_in(&mut write, service_id, audit).await?;
    write.commit().await?;
    Ok(())
}

/// The email addresses and mobile numbers of the service's team members.
pub async fn team_contacts(pool: &Store, service_id: &str) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let rows: Vec<(String, Option<String>)> = on_backend!(pool, |db| sqlx::query_as(
        "SELECT u.email_address, u.mobile_number FROM users u
         JOIN service_users su ON su.user_id = u.id WHERE su.service_id = $1",
    )
    .bind(Id(service_id))
    .fetch_all(db)
    .await)
    .context("could not load the team")?;
    let emails = rows.iter().map(|(e, _)| e.clone()).collect();
    let mobiles = rows.into_iter().filter_map(|(_, m)| m).collect();
    Ok((emails, mobiles))
}
