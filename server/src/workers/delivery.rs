//! The delivery worker: sends messages of live and team keys through their
//! provider, and gives test keys' messages their simulated outcome. Every
//! 100 ms, so each round has little to do and holds the writer briefly.

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

/// Starts the worker with `provider`.
pub fn spawn(pool: Pool, provider: Box<dyn DeliveryProvider>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = deliver_pending(&pool, provider.as_ref()).await {
                tracing::warn!(error = ?e, "delivery round failed");
            }
        }
    });
}

/// One round: test keys' messages finished, then up to 500 others handed to
/// the provider.
pub async fn deliver_pending(pool: &Pool, provider: &dyn DeliveryProvider) -> anyhow::Result<()> {
    store::deliver_test_notifications(pool).await?;
    for n in store::pending_real_notifications(pool, 500).await? {
        provider.deliver(pool, &n).await?;
    }
    Ok(())
}
