//! Which instance runs the workers of which exactly one may run at a time
//! (the providers' deliveries, letter checks, retention, alerts): the
//! leader. On SQLite there is one process, always the leader. On PostgreSQL
//! the leader is the instance holding a session advisory lock
//! ([`LEADER_LOCK`]) on a connection of its own: when it dies its
//! connection goes and the lock with it, and another instance, trying every
//! [`LEADER_CHECK`], takes over.
//!
//! An instance that loses its connection stops leading at its next check
//! (within [`LEADER_CHECK`]), while PostgreSQL may free the lock sooner: in
//! that moment two instances may both run a round. What the leader runs
//! stays safe then: deletes and alerts happen once whoever runs them, and a
//! message offered to its provider twice is what a crash between the offer
//! and its record already allows.

use super::Store;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The PostgreSQL advisory lock the leader holds ("leader" in ASCII).
pub const LEADER_LOCK: i64 = 0x6c65_6164_6572;

/// How often an instance checks that it still leads, or tries to.
pub const LEADER_CHECK: Duration = Duration::from_secs(2);

/// Whether this instance leads now (see the module's documentation).
#[derive(Clone, Debug)]
pub struct Leadership {
    held: Arc<AtomicBool>,
}

impl Leadership {
    /// Whether this instance is the leader now.
    pub fn is_held(&self) -> bool {
        self.held.load(Ordering::SeqCst)
    }

    /// Always the leader (one process on SQLite; tests).
    pub fn always() -> Self {
        Self { held: Arc::new(AtomicBool::new(true)) }
    }
}

/// Starts seeking (and keeping) the leadership for this instance.
pub fn seek_leadership(pool: &Store) -> Leadership {
    let Some(db) = pool.postgres().cloned() else { return Leadership::always() };
    let leadership = Leadership { held: Arc::new(AtomicBool::new(false)) };
    let held = leadership.held.clone();
    tokio::spawn(async move {
        let mut conn: Option<sqlx::PgConnection> = None;
        let mut tick = tokio::time::interval(LEADER_CHECK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let leads = match conn.as_mut() {
                // Still connected: keeps the lock if held, else tries it.
                Some(c) if held.load(Ordering::SeqCst) => sqlx::query("SELECT 1").execute(&mut *c).await.is_ok(),
                Some(c) => try_lock(c).await,
                None => match db.acquire().await {
                    // Its own connection, out of the pool: held as long as
                    // the lock is.
                    Ok(c) => {
                        let mut c = c.detach();
                        let leads = try_lock(&mut c).await;
                        conn = Some(c);
                        leads
                    }
                    Err(_) => false,
                },
            };
            if !leads {
                // A connection that failed is dropped; one that is fine but
                // not leading is kept for the next try.
                if let Some(c) = conn.as_mut() {
                    if sqlx::query("SELECT 1").execute(&mut *c).await.is_err() {
                        conn = None;
                    }
                }
            }
            let was = held.swap(leads, Ordering::SeqCst);
            if was != leads {
                if leads {
                    tracing::info!("this instance now runs the workers one instance runs");
                } else {
                    tracing::warn!("this instance no longer runs the workers one instance runs");
                }
            }
        }
    });
    leadership
}

async fn try_lock(conn: &mut sqlx::PgConnection) -> bool {
    let locked: Result<(bool,), _> =
        sqlx::query_as("SELECT pg_try_advisory_lock($1)").bind(LEADER_LOCK).fetch_one(&mut *conn).await;
    matches!(locked, Ok((true,)))
}

/// How often an instance says it is alive.
pub const INSTANCE_BEAT: Duration = Duration::from_secs(1);

/// How long an instance that stopped saying it is alive still counts.
pub const INSTANCE_ALIVE_FOR: time::Duration = time::Duration::seconds(10);

/// Says this instance is alive (on PostgreSQL) and answers how many
/// instances share the database now: those that said so within
/// [`INSTANCE_ALIVE_FOR`]. One on SQLite (one process).
pub async fn instances_alive(pool: &Store) -> anyhow::Result<usize> {
    use anyhow::Context;
    let Some(db) = pool.postgres() else { return Ok(1) };
    let now = crate::ssr::clock::now();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO instances (id, seen_at) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
    )
    .bind(&*pool.instance)
    .bind(now)
    .execute(&mut *tx)
    .await
    .context("could not say this instance is alive")?;
    // Long gone ones are forgotten.
    sqlx::query("DELETE FROM instances WHERE seen_at < $1")
        .bind(now - time::Duration::hours(1))
        .execute(&mut *tx)
        .await?;
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM instances WHERE seen_at >= $1")
        .bind(now - INSTANCE_ALIVE_FOR)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(usize::try_from(n).unwrap_or(1).max(1))
}
