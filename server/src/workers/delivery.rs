//! The delivery worker: sends messages of live and team keys through their
//! channel's provider (email over SMTP, [`super::email`], and text messages
//! through Firetext, [`super::sms`], when configured; otherwise, and for
//! letters, the built-in outbox), and gives test keys' messages their
//! simulated outcome. Every 100 ms, so each round has
//! little to do and holds the writer briefly.

use app::domain::Timestamp;
use app::ssr::store::{self, DeliveryOutcome, Store};
use std::time::Duration;

/// Where messages sent with live and team keys go. A provider is offered
/// one message and says what became of it; the worker records a round's
/// outcomes together ([`store::record_delivery_outcomes`]). The embedded
/// default keeps the rendered message in the outbox and reports it
/// delivered; real providers ([`super::email`]) implement the same trait.
pub trait DeliveryProvider: Send + Sync {
    fn deliver<'a>(
        &'a self,
        pool: &'a store::Store,
        n: &'a store::Notification,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<DeliveryOutcome>> + Send + 'a>>;
}

pub struct EmbeddedOutbox;

impl DeliveryProvider for EmbeddedOutbox {
    fn deliver<'a>(
        &'a self,
        _pool: &'a store::Store,
        _n: &'a store::Notification,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<DeliveryOutcome>> + Send + 'a>> {
        Box::pin(async {
            Ok(DeliveryOutcome::Finished { status: app::domain::NotificationStatus::Delivered, outbox: true })
        })
    }
}

/// One channel's provider, and how it is driven.
pub struct Channel {
    pub provider: Box<dyn DeliveryProvider>,
    /// Messages offered at once.
    pub concurrency: usize,
    /// Outcomes recorded every this many as they come (a real provider's:
    /// a crash then re-sends at most these and those in flight); the
    /// built-in outbox records a round's together.
    pub record_every: usize,
}

impl Channel {
    /// The built-in outbox: one at a time (each is instant), one commit a
    /// round.
    pub fn embedded() -> Self {
        Self { provider: Box::new(EmbeddedOutbox), concurrency: 1, record_every: usize::MAX }
    }

    /// A real provider, `concurrency` messages at once.
    pub fn real(provider: Box<dyn DeliveryProvider>, concurrency: usize) -> Self {
        Self { provider, concurrency: concurrency.max(1), record_every: OUTCOME_CHUNK }
    }
}

/// Which provider takes each channel's messages.
pub struct Providers {
    pub email: Channel,
    pub sms: Channel,
    /// Letters stay with the built-in provider: printing is a contract,
    /// not an API.
    pub letter: Channel,
}

impl Providers {
    /// Every channel to the built-in outbox.
    pub fn embedded() -> Self {
        Self { email: Channel::embedded(), sms: Channel::embedded(), letter: Channel::embedded() }
    }
}

/// Starts the worker with `providers`. Every instance finishes test keys'
/// messages (each is taken once); messages go to their providers from the
/// instance holding `leader` (one at a time, so none is offered twice).
pub fn spawn(pool: Store, providers: Providers, leader: store::Leadership) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = deliver_pending(&pool, &providers, leader.is_held()).await {
                tracing::warn!(error = ?e, "delivery round failed");
            }
        }
    });
}

/// One round: test keys' messages finished, then (when `to_providers`) up
/// to 500 others handed to their channel's provider (the channels side by
/// side, each several at a time). A message its provider could not be
/// asked about (the database, say) waits for the next round; the others go
/// on.
pub async fn deliver_pending(pool: &Store, providers: &Providers, to_providers: bool) -> anyhow::Result<()> {
    use app::domain::TemplateType;
    store::deliver_test_notifications(pool).await?;
    if !to_providers {
        return Ok(());
    }
    let pending = store::pending_real_notifications(pool, 500).await?;
    let of = |t: TemplateType| pending.iter().filter(move |n| n.notification_type == t);
    let (mut outcomes, sms, letter) = futures::join!(
        deliver_channel(pool, &providers.email, of(TemplateType::Email)),
        deliver_channel(pool, &providers.sms, of(TemplateType::Sms)),
        deliver_channel(pool, &providers.letter, of(TemplateType::Letter)),
    );
    outcomes.extend(sms);
    outcomes.extend(letter);
    store::record_delivery_outcomes(pool, &outcomes).await
}

/// Offers `messages` to `channel`'s provider, `concurrency` at a time,
/// recording outcomes every `record_every`; returns those not yet recorded.
async fn deliver_channel<'a>(
    pool: &Store,
    channel: &Channel,
    messages: impl Iterator<Item = &'a store::Notification>,
) -> Vec<(&'a store::Notification, DeliveryOutcome)> {
    use futures::StreamExt;
    let mut outcomes = Vec::new();
    let mut waiting = messages;
    let mut running = futures::stream::FuturesUnordered::new();
    loop {
        while running.len() < channel.concurrency.max(1) {
            let Some(n) = waiting.next() else { break };
            running.push(deliver_one(channel.provider.as_ref(), pool, n));
        }
        match running.next().await {
            Some(outcome) => outcomes.extend(outcome),
            None => break,
        }
        if outcomes.len() >= channel.record_every {
            if let Err(e) = store::record_delivery_outcomes(pool, &outcomes).await {
                tracing::warn!(error = ?e, "could not record messages' outcomes: they will be offered again");
            }
            outcomes.clear();
        }
    }
    outcomes
}

/// How long a provider's delivery receipt is waited for before the message
/// is a `temporary-failure` (Notify's 72 hours).
pub const RECEIPT_WAIT: time::Duration = time::Duration::hours(72);

/// Every 10 minutes, messages that waited [`RECEIPT_WAIT`] for their
/// delivery receipt in vain become `temporary-failure`, with their own
/// receipts for the service's callback.
pub fn spawn_receipt_timeouts(pool: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            loop {
                match store::time_out_awaiting_receipts(&pool, app::ssr::clock::ago(RECEIPT_WAIT), 500).await {
                    Ok(500) => continue,
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        messages = n,
                        "messages with no delivery receipt for 72 hours: temporary-failure"
                    ),
                    Err(e) => tracing::warn!(error = ?e, "could not time out messages awaiting receipts"),
                }
                break;
            }
        }
    });
}

/// How long a message is offered again after refusals that may pass.
pub const RETRY_FOR: time::Duration = time::Duration::hours(24);

/// The wait before the next offer, after `attempts` refusals that may
/// pass: 30 s, 1, 2, 5, 10 and 30 minutes, then every hour.
pub fn retry_after(attempts: i64) -> time::Duration {
    use time::Duration;
    match attempts {
        ..=0 => Duration::seconds(30),
        1 => Duration::minutes(1),
        2 => Duration::minutes(2),
        3 => Duration::minutes(5),
        4 => Duration::minutes(10),
        5 => Duration::minutes(30),
        _ => Duration::hours(1),
    }
}

/// What to do with a message its provider did not take: `None`, give up;
/// otherwise when to offer it again (never past [`RETRY_FOR`] after it was
/// sent).
pub fn next_offer(created_at: Timestamp, attempts_before: i64, now: Timestamp) -> Option<Timestamp> {
    let give_up = created_at + RETRY_FOR;
    (now < give_up).then(|| (now + retry_after(attempts_before)).min(give_up))
}

/// A real provider's outcomes written together: one commit for this many
/// (a commit each held the SMTP relay to about 170 emails a second,
/// bench/email.sh), and at most this many (with those in flight) sent twice
/// after a crash.
pub const OUTCOME_CHUNK: usize = 32;

/// What became of `n`; `None` when its provider could not be asked (it
/// waits for the next round).
async fn deliver_one<'a>(
    provider: &dyn DeliveryProvider,
    pool: &Store,
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    #[test]
    fn waits_grow_and_stop_at_a_day() {
        let sent = Timestamp::parse("2026-12-06T10:00:00.000000Z").unwrap();
        assert_eq!(next_offer(sent, 0, sent), Some(sent + Duration::seconds(30)));
        assert_eq!(next_offer(sent, 3, sent + Duration::hours(1)), Some(sent + Duration::minutes(65)));
        // Never past the day, and nothing after it.
        let late = sent + Duration::hours(24) - Duration::minutes(10);
        assert_eq!(next_offer(sent, 9, late), Some(sent + RETRY_FOR));
        assert_eq!(next_offer(sent, 9, sent + RETRY_FOR), None);
        let waits: Vec<Duration> = (0..8).map(retry_after).collect();
        assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
    }
}
