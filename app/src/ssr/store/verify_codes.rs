//! Codes and links that prove who someone is (migration 0030): the second
//! factor at sign-in, and the confirmation of a new email address or mobile
//! number. The use case (`ssr::second_factor`) owns the rules; this keeps
//! the rows.

use super::backend::{on_backend, on_tx, Id};
use super::Store;
use crate::domain::Timestamp;
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

/// What a code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodePurpose {
    SignIn,
    NewEmail,
    NewMobile,
}

impl CodePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            CodePurpose::SignIn => "sign_in",
            CodePurpose::NewEmail => "new_email",
            CodePurpose::NewMobile => "new_mobile",
        }
    }
}

/// A code or link as stored.
#[derive(Clone, Debug, FromRow)]
pub struct VerifyCode {
    pub id: String,
    pub user_id: String,
    /// `email` or `sms`.
    pub channel: String,
    pub sealed_code: Option<String>,
    /// Where to go after signing in; the new email address or number.
    pub detail: Option<String>,
    pub created_at: Timestamp,
    pub tries: i64,
    pub used_at: Option<Timestamp>,
}

/// A code or link to store.
pub struct NewVerifyCode<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub purpose: CodePurpose,
    pub channel: &'a str,
    pub browser_digest: Option<&'a str>,
    pub sealed_code: Option<&'a str>,
    pub link_digest: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// Stores a new code; every earlier unused code of the same user for the
/// same purpose stops working (a new code replaces the last).
pub async fn create_verify_code(pool: &Store, code: NewVerifyCode<'_>) -> anyhow::Result<()> {
    let now = clock::now();
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query("UPDATE verify_codes SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL")
            .bind(now)
            .bind(Id(code.user_id))
            .bind(code.purpose.as_str())
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO verify_codes (id, user_id, purpose, channel, browser_digest, sealed_code, link_digest,
             detail, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(Id(code.id))
        .bind(Id(code.user_id))
        .bind(code.purpose.as_str())
        .bind(code.channel)
        .bind(code.browser_digest)
        .bind(code.sealed_code)
        .bind(code.link_digest)
        .bind(code.detail)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    });
    write.commit().await.context("could not store a security code")?;
    Ok(())
}

/// The latest sign-in code sent for the browser with this pending sign-in
/// cookie digest, and how many codes that browser has been sent since
/// `since`.
pub async fn sign_in_code_for_browser(
    pool: &Store,
    browser_digest: &str,
    since: Timestamp,
) -> anyhow::Result<Option<(VerifyCode, i64)>> {
    let latest: Option<VerifyCode> = on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT) AS id, CAST(user_id AS TEXT) AS user_id, channel, sealed_code, detail, created_at,
         tries, used_at FROM verify_codes WHERE browser_digest = $1 AND purpose = 'sign_in'
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(browser_digest)
    .fetch_optional(db)
    .await)
    .context("could not look up a sign-in code")?;
    let Some(latest) = latest else { return Ok(None) };
    let (sent,): (i64,) = on_backend!(pool, |db| sqlx::query_as(
        "SELECT count(*) FROM verify_codes WHERE browser_digest = $1 AND purpose = 'sign_in' AND created_at >= $2",
    )
    .bind(browser_digest)
    .bind(since)
    .fetch_one(db)
    .await)?;
    Ok(Some((latest, sent)))
}

/// The latest code sent to `user_id` for `purpose`.
pub async fn latest_verify_code(
    pool: &Store,
    user_id: &str,
    purpose: CodePurpose,
) -> anyhow::Result<Option<VerifyCode>> {
    on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT) AS id, CAST(user_id AS TEXT) AS user_id, channel, sealed_code, detail, created_at,
         tries, used_at FROM verify_codes WHERE user_id = $1 AND purpose = $2
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(Id(user_id))
    .bind(purpose.as_str())
    .fetch_optional(db)
    .await)
    .context("could not look up a security code")
}

/// The code whose link has this digest, with what it is for.
pub async fn verify_code_by_link(
    pool: &Store,
    link_digest: &str,
    purpose: CodePurpose,
) -> anyhow::Result<Option<VerifyCode>> {
    on_backend!(pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT) AS id, CAST(user_id AS TEXT) AS user_id, channel, sealed_code, detail, created_at,
         tries, used_at FROM verify_codes WHERE link_digest = $1 AND purpose = $2",
    )
    .bind(link_digest)
    .bind(purpose.as_str())
    .fetch_optional(db)
    .await)
    .context("could not look up a link")
}

/// Counts a wrong try at code `id`: the tries so far.
pub async fn record_wrong_code(pool: &Store, id: &str) -> anyhow::Result<i64> {
    let (tries,): (i64,) = on_backend!(pool, |db| sqlx::query_as(
        "UPDATE verify_codes SET tries = tries + 1 WHERE id = $1 RETURNING tries"
    )
    .bind(Id(id))
    .fetch_one(db)
    .await)
    .context("could not count a wrong code")?;
    Ok(tries)
}

/// Spends code `id`: `false` when it was spent already (it works once).
pub async fn use_verify_code(pool: &Store, id: &str) -> anyhow::Result<bool> {
    let done =
        on_backend!(pool, |db| sqlx::query("UPDATE verify_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(clock::now())
            .bind(Id(id))
            .execute(db)
            .await
            .map(|done| done.rows_affected()))
        .context("could not spend a security code")?;
    Ok(done == 1)
}

/// What confirming a new email address or mobile number did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetailChange {
    Changed,
    /// The code was spent already.
    Spent,
    /// Another account has the email address (the code is spent).
    Taken,
}

/// Spends code `id` and gives its user the new email address or mobile
/// number it confirms, in one transaction.
pub async fn confirm_account_detail(pool: &Store, id: &str, purpose: CodePurpose) -> anyhow::Result<DetailChange> {
    let update = match purpose {
        CodePurpose::NewEmail => "UPDATE users SET email_address = $1 WHERE id = $2",
        CodePurpose::NewMobile => "UPDATE users SET mobile_number = $1 WHERE id = $2",
        CodePurpose::SignIn => anyhow::bail!("a sign-in code changes no detail"),
    };
    let mut write = pool.begin_write().await?;
    let change = on_tx!(&mut write, |tx| {
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "UPDATE verify_codes SET used_at = $1 WHERE id = $2 AND purpose = $3 AND used_at IS NULL
             RETURNING CAST(user_id AS TEXT) AS user_id, detail",
        )
        .bind(clock::now())
        .bind(Id(id))
        .bind(purpose.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        let Some((user_id, Some(detail))) = row else { return Ok(DetailChange::Spent) };
        let taken = purpose == CodePurpose::NewEmail && {
            // Addresses are compared without case (ASCII), as everywhere.
            let (n,): (i64,) =
                sqlx::query_as("SELECT count(*) FROM users WHERE lower(email_address) = lower($1) AND id != $2")
                    .bind(&detail)
                    .bind(Id(&user_id))
                    .fetch_one(&mut **tx)
                    .await?;
            n > 0
        };
        if taken {
            DetailChange::Taken
        } else {
            sqlx::query(update).bind(&detail).bind(Id(&user_id)).execute(&mut **tx).await?;
            DetailChange::Changed
        }
    });
    // A taken address spends the code all the same.
    write.commit().await.context("could not confirm an account detail")?;
    Ok(change)
}
