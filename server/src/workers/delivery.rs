//! The delivery worker: sends messages of live and team keys through their
//! provider (email over SMTP when configured, [`super::email`]; otherwise
//! and for text messages and letters the built-in outbox), and gives test
//! keys' messages their simulated outcome. Every 100 ms, so each round has
//! little to do and holds the writer briefly.

use app::ssr::store::{self, Pool};
use std::time::Duration;

/// Where messages sent with live and team keys go. The embedded default
/// records the rendered message in the outbox and reports it delivered;
/// real email and SMS providers implement the same trait.
pub trait DeliveryProvider: Send + Sync {
    fn deliver<'a>(
        &'a self,
        pool: &'a store::Pool,
        n: &'a store::Notification,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send + 'a>>;
}

pub struct EmbeddedOutbox;

impl DeliveryProvider for EmbeddedOutbox {
    fn deliver<'a>(
        &'a self,
        pool: &'a store::Pool,
        n: &'a store::Notification,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send + 'a>> {
        Box::pin(
            async move { store::finish_notification(pool, n, app::domain::NotificationStatus::Delivered, true).await },
        )
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
    let (emails, others): (Vec<_>, Vec<_>) =
        pending.into_iter().partition(|n| n.notification_type == app::domain::TemplateType::Email);
    let email = async {
        let mut waiting = emails.into_iter();
        let mut running = futures::stream::FuturesUnordered::new();
        loop {
            while running.len() < providers.email_concurrency.max(1) {
                let Some(n) = waiting.next() else { break };
                running.push(deliver_one(providers.email.as_ref(), pool, n));
            }
            if running.next().await.is_none() {
                break;
            }
        }
    };
    let other = async {
        for n in others {
            deliver_one(providers.other.as_ref(), pool, n).await;
        }
    };
    futures::join!(email, other);
    Ok(())
}

async fn deliver_one(provider: &dyn DeliveryProvider, pool: &Pool, n: store::Notification) {
    if let Err(e) = provider.deliver(pool, &n).await {
        tracing::warn!(notification_id = %n.id, error = ?e, "a message was not delivered this round");
    }
}
