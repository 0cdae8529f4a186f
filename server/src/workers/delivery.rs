//! The delivery worker: sends messages of live and team keys through their
//! provider (email over SMTP when configured, [`super::email`]; otherwise
//! and for text messages and letters the built-in outbox), and gives test
//! keys' messages their simulated outcome. Every 100 ms, so each round has
//! little to do and holds the writer briefly.

use app::ssr::store::{self, DeliveryOutcome, Pool};
use std::time::Duration;

/// Where messages sent with live and team keys go. A provider is offered
/// one message and says what became of it; the worker records a round's
/// outcomes together ([`store::record_delivery_outcomes`]). The embedded
/// default keeps the rendered message in the outbox and reports it
/// delivered; real providers ([`super::email`]) implement the same trait.
pub trait DeliveryProvider: Send + Sync {
    fn deliver<'a>(
        &'a self,
        pool: &'a store::Pool,
        n: &'a store::Notification,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<DeliveryOutcome>> + Send + 'a>>;
}

pub struct EmbeddedOutbox;

impl DeliveryProvider for EmbeddedOutbox {
    fn deliver<'a>(
        &'a self,
        _pool: &'a store::Pool,
        _n: &'a store::Notification,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<DeliveryOutcome>> + Send + 'a>> {
        Box::pin(async {
            Ok(DeliveryOutcome::Finished { status: app::domain::NotificationStatus::Delivered, outbox: true })
        })
    }
}

/// Which provider takes each channel's messages, and how many emails are
/// handed over at once.
pub struct Providers {
    pub email: Box<dyn DeliveryProvider>,
    pub email_concurrency: usize,
    /// Text messages and letters: the built-in outbox for now.
    pub other: Box<dyn DeliveryProvider>,
}

impl Providers {
    /// Every channel to the built-in outbox.
    pub fn embedded() -> Self {
        Self { email: Box::new(EmbeddedOutbox), email_concurrency: 1, other: Box::new(EmbeddedOutbox) }
    }
}

/// Starts the worker with `providers`.
pub fn spawn(pool: Pool, providers: Providers) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = deliver_pending(&pool, &providers).await {
                tracing::warn!(error = ?e, "delivery round failed");
            }
        }
    });
}

/// One round: test keys' messages finished, then up to 500 others handed to
/// their provider (emails several at a time). A message its provider could
/// not be asked about (the database, say) waits for the next round; the
/// others go on.
pub async fn deliver_pending(pool: &Pool, providers: &Providers) -> anyhow::Result<()> {
    use futures::StreamExt;
    store::deliver_test_notifications(pool).await?;
    let pending = store::pending_real_notifications(pool, 500).await?;
    let (emails, others): (Vec<&store::Notification>, Vec<&store::Notification>) =
        pending.iter().partition(|n| n.notification_type == app::domain::TemplateType::Email);
    // Emails' outcomes are recorded every OUTCOME_CHUNK as they come: a
    // crash loses at most those not yet recorded (sent again after the
    // restart), not a whole round's.
    let email = async {
        let mut outcomes = Vec::with_capacity(OUTCOME_CHUNK);
        let mut waiting = emails.into_iter();
        let mut running = futures::stream::FuturesUnordered::new();
        loop {
            while running.len() < providers.email_concurrency.max(1) {
                let Some(n) = waiting.next() else { break };
                running.push(deliver_one(providers.email.as_ref(), pool, n));
            }
            match running.next().await {
                Some(outcome) => outcomes.extend(outcome),
                None => break,
            }
            if outcomes.len() >= OUTCOME_CHUNK {
                if let Err(e) = store::record_delivery_outcomes(pool, &outcomes).await {
                    tracing::warn!(error = ?e, "could not record emails' outcomes: they will be offered again");
                }
                outcomes.clear();
            }
        }
        outcomes
    };
    let other = async {
        let mut outcomes = Vec::with_capacity(others.len());
        for n in others {
            outcomes.extend(deliver_one(providers.other.as_ref(), pool, n).await);
        }
        outcomes
    };
    let (mut outcomes, other) = futures::join!(email, other);
    outcomes.extend(other);
    store::record_delivery_outcomes(pool, &outcomes).await
}

/// Emails' outcomes written together: one commit for this many (a commit
/// each held the relay to about 170 emails a second, bench/email.sh), and
/// at most this many (with those in flight) sent twice after a crash.
pub const OUTCOME_CHUNK: usize = 32;

/// What became of `n`; `None` when its provider could not be asked (it
/// waits for the next round).
async fn deliver_one<'a>(
    provider: &dyn DeliveryProvider,
    pool: &Pool,
    n: &'a store::Notification,
) -> Option<(&'a store::Notification, DeliveryOutcome)> {
    match provider.deliver(pool, n).await {
        Ok(outcome) => Some((n, outcome)),
        Err(e) => {
            tracing::warn!(notification_id = %n.id, error = ?e, "a message was not delivered this round");
            None
        }
    }
}
