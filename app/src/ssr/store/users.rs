//! Users: who can sign in (argon2id password hashes).

use super::backend::{on_backend, on_tx, Id};
use super::{new_id, Store};
use crate::domain::sign_in_method::SignInMethod;
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

#[derive(Clone, Debug, FromRow)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email_address: String,
    pub mobile_number: Option<String>,
    pub password_hash: String,
    pub platform_admin: bool,
    pub auth_type: SignInMethod,
}

pub struct NewUser<'a> {
    pub name: &'a str,
    pub email_address: &'a str,
    pub mobile_number: Option<&'a str>,
    pub password_hash: &'a str,
    pub platform_admin: bool,
    pub sign_in_method: SignInMethod,
}

pub async fn create_user(pool: &Store, user: NewUser<'_>) -> anyhow::Result<String> {
    let id = new_id();
    on_backend!(pool, |db| sqlx::query(
        "INSERT INTO users (id, name, email_address, mobile_number, password_hash, platform_admin, auth_type,
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Id(&id))
    .bind(user.name)
    .bind(user.email_address)
    .bind(user.mobile_number)
    .bind(user.password_hash)
    .bind(user.platform_admin)
    .bind(user.sign_in_method)
    .bind(clock::now())
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .context("could not create the user")?;
    Ok(id)
}

pub async fn find_user_by_email(pool: &Store, email_address: &str) -> anyhow::Result<Option<User>> {
    // Addresses are matched without case (ASCII, as SQLite's NOCASE), each
    // backend through its own index.
    let sql = if pool.is_postgres() {
        "SELECT CAST(id AS TEXT) AS id, name, email_address, mobile_number, password_hash, platform_admin, auth_type
         FROM users WHERE lower(email_address) = lower($1)"
    } else {
        "SELECT CAST(id AS TEXT) AS id, name, email_address, mobile_number, password_hash, platform_admin, auth_type
         FROM users WHERE email_address = $1 COLLATE NOCASE"
    };
    on_backend!(pool, |db| sqlx::query_as::<_, User>(sql).bind(email_address).fetch_optional(db).await)
        .context("could not look up a user")
}

pub async fn get_user(pool: &Store, id: &str) -> anyhow::Result<Option<User>> {
    on_backend!(pool, |db| sqlx::query_as::<_, User>(
        "SELECT CAST(id AS TEXT) AS id, name, email_address, mobile_number, password_hash, platform_admin, auth_type
         FROM users WHERE id = $1",
    )
    .bind(Id(id))
    .fetch_optional(db)
    .await)
    .context("could not load a user")
}

/// Stores a password reset for the user (its token as a digest).
pub async fn create_password_reset(pool: &Store, user_id: &str, token_digest: &str) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query(
        "INSERT INTO password_resets (token_digest, user_id, created_at) VALUES ($1, $2, $3)"
    )
    .bind(token_digest)
    .bind(Id(user_id))
    .bind(crate::ssr::clock::now())
    .execute(db)
    .await
    .map(|done| done.rows_affected()))
    .context("could not store a password reset")?;
    Ok(())
}

/// A password reset: its user, when it was asked for, and when it was used.
pub async fn password_reset(
    pool: &Store,
    token_digest: &str,
) -> anyhow::Result<Option<(String, crate::domain::Timestamp, Option<crate::domain::Timestamp>)>> {
    on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(user_id AS TEXT) AS user_id, created_at, used_at FROM password_resets WHERE token_digest = $1"
    )
    .bind(token_digest)
    .fetch_optional(db)
    .await)
    .context("could not look up a password reset")
}

/// Uses a password reset: the user's new password hash, every other reset
/// of theirs spent, and every session of theirs ended, in one transaction.
/// `false` when it was used already.
pub async fn complete_password_reset(
    pool: &Store,
    token_digest: &str,
    user_id: &str,
    password_hash: &str,
) -> anyhow::Result<bool> {
    let now = crate::ssr::clock::now();
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        let used = sqlx::query("UPDATE password_resets SET used_at = $1 WHERE token_digest = $2 AND used_at IS NULL")
            .bind(now)
            .bind(token_digest)
            .execute(&mut **tx)
            .await?;
        if used.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(Id(user_id))
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(Id(user_id))
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(Id(user_id)).execute(&mut **tx).await?;
    });
    write.commit().await.context("could not reset a password")?;
    Ok(true)
}

/// Renames a user.
pub async fn set_user_name(pool: &Store, user_id: &str, name: &str) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(Id(user_id))
        .execute(db)
        .await
        .map(|done| done.rows_affected()))
    .context("could not change a name")?;
    Ok(())
}

/// Sets a user's sign-in method.
pub async fn set_user_sign_in_method(pool: &Store, user_id: &str, method: SignInMethod) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query("UPDATE users SET auth_type = $1 WHERE id = $2")
        .bind(method)
        .bind(Id(user_id))
        .execute(db)
        .await
        .map(|done| done.rows_affected()))
    .context("could not change a sign-in method")?;
    Ok(())
}

/// A user's new password hash: every session of theirs but `keep` (the
/// digest of the one that changed it) ends, and their unused password
/// reset links stop working, in one transaction.
pub async fn set_user_password(pool: &Store, user_id: &str, password_hash: &str, keep: &str) -> anyhow::Result<()> {
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(Id(user_id))
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_digest != $2")
            .bind(Id(user_id))
            .bind(keep)
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
            .bind(clock::now())
            .bind(Id(user_id))
            .execute(&mut **tx)
            .await?;
    });
    write.commit().await.context("could not change a password")?;
    Ok(())
}
