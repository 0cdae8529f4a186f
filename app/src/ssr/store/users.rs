//! Users: who can sign in (argon2id password hashes).

use super::{new_id, Pool};
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
    .bind(clock::now())
    .execute(&pool.db)
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
    .fetch_optional(&pool.db)
    .await
    .context("could not look up a user")
}

pub async fn get_user(pool: &Pool, id: &str) -> anyhow::Result<Option<User>> {
    sqlx::query_as::<_, User>(
        "SELECT id, name, email_address, mobile_number, password_hash, platform_admin FROM users WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&pool.db)
    .await
    .context("could not load a user")
}
