//! Users: who can sign in (argon2id password hashes).

use super::{new_id, Pool};
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

pub async fn create_user(pool: &Pool, user: NewUser<'_>) -> anyhow::Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO users (id, name, email_address, mobile_number, password_hash, platform_admin, auth_type, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(user.name)
    .bind(user.email_address)
    .bind(user.mobile_number)
    .bind(user.password_hash)
    .bind(user.platform_admin)
    .bind(user.sign_in_method)
    .bind(clock::now())
    .execute(&pool.db)
    .await
    .context("could not create the user")?;
    Ok(id)
}

pub async fn find_user_by_email(pool: &Pool, email_address: &str) -> anyhow::Result<Option<User>> {
    sqlx::query_as::<_, User>(
        "SELECT id, name, email_address, mobile_number, password_hash, platform_admin, auth_type
         FROM users WHERE email_address = ? COLLATE NOCASE",
    )
    .bind(email_address)
    .fetch_optional(&pool.db)
    .await
    .context("could not look up a user")
}

pub async fn get_user(pool: &Pool, id: &str) -> anyhow::Result<Option<User>> {
    sqlx::query_as::<_, User>(
        "SELECT id, name, email_address, mobile_number, password_hash, platform_admin, auth_type FROM users WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&pool.db)
    .await
    .context("could not load a user")
}

/// Stores a password reset for the user (its token as a digest).
pub async fn create_password_reset(pool: &Pool, user_id: &str, token_digest: &str) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO password_resets (token_digest, user_id, created_at) VALUES (?, ?, ?)")
        .bind(token_digest)
        .bind(user_id)
        .bind(crate::ssr::clock::now())
        .execute(&pool.db)
        .await
        .context("could not store a password reset")?;
    Ok(())
}

/// A password reset: its user, when it was asked for, and when it was used.
pub async fn password_reset(
    pool: &Pool,
    token_digest: &str,
) -> anyhow::Result<Option<(String, crate::domain::Timestamp, Option<crate::domain::Timestamp>)>> {
    sqlx::query_as("SELECT user_id, created_at, used_at FROM password_resets WHERE token_digest = ?")
        .bind(token_digest)
        .fetch_optional(&pool.db)
        .await
        .context("could not look up a password reset")
}

/// Uses a password reset: the user's new password hash, every other reset
/// of theirs spent, and every session of theirs ended, in one transaction.
/// `false` when it was used already.
pub async fn complete_password_reset(
    pool: &Pool,
    token_digest: &str,
    user_id: &str,
    password_hash: &str,
) -> anyhow::Result<bool> {
    let now = crate::ssr::clock::now();
    let mut tx = pool.begin_write().await?;
    let used = sqlx::query("UPDATE password_resets SET used_at = ? WHERE token_digest = ? AND used_at IS NULL")
        .bind(now)
        .bind(token_digest)
        .execute(&mut *tx)
        .await?;
    if used.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(user_id).execute(&mut *tx).await?;
    tx.commit().await.context("could not reset a password")?;
    Ok(true)
}

/// Renames a user.
pub async fn set_user_name(pool: &Pool, user_id: &str, name: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE users SET name = ? WHERE id = ?")
        .bind(name)
        .bind(user_id)
        .execute(&pool.db)
        .await
        .context("could not change a name")?;
    Ok(())
}

/// Sets a user's sign-in method.
pub async fn set_user_sign_in_method(pool: &Pool, user_id: &str, method: SignInMethod) -> anyhow::Result<()> {
    sqlx::query("UPDATE users SET auth_type = ? WHERE id = ?")
        .bind(method)
        .bind(user_id)
        .execute(&pool.db)
        .await
        .context("could not change a sign-in method")?;
    Ok(())
}

/// A user's new password hash: every session of theirs but `keep` (the
/// digest of the one that changed it) ends, and their unused password
/// reset links stop working, in one transaction.
pub async fn set_user_password(pool: &Pool, user_id: &str, password_hash: &str, keep: &str) -> anyhow::Result<()> {
    let mut tx = pool.begin_write().await?;
    sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = ? AND id_digest != ?")
        .bind(user_id)
        .bind(keep)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL")
        .bind(clock::now())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await.context("could not change a password")?;
    Ok(())
}
