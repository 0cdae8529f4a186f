//! Background work. Every worker is started here, once, at start-up
//! ([`start`]), and gets only what it needs (the store, a client, its
//! settings), never the whole application state:
//!
//! | worker | does | gets |
//! |---|---|---|
//! | sends writer (`api_v2::runtime`) | stores sends in group commits; flushes keys' usage | the store, the API's counters, the dispatcher to wake |
//! | [`delivery`] | hands live and team messages to their channel's provider ([`email`] over SMTP, [`sms`] through Firetext, when configured); finishes test keys'; times out messages whose receipt never came | the store, the providers and their settings |
//! | [`jobs`] | sends jobs (lists of recipients) a batch at a time, exactly once across restarts | the store |
//! | [`callbacks`] | sends callbacks, records attempts, prunes their history | the store, the secrets, the dispatcher |
//! | letter checks (`letters`) | checks precompiled PDFs in a child process | the store, the checker program |
//! | [`retention`] | deletes messages past their service's retention | the store |
//! | [`alerts`] | raises alerts on unusual key usage and emails them | the store, the API's counters, the base URL for links |
//! | [`housekeeping`] | WAL checkpoints; old sessions and sign-in failures | the store, the session limits |

pub mod alerts;
pub mod callbacks;
pub mod delivery;
pub mod email;
pub mod housekeeping;
pub mod jobs;
pub mod retention;
pub mod sms;
pub mod smtp_pool;

use crate::AppState;
use app::ssr::store::Leadership;

/// Starts every worker. Those only one instance may run at a time (on a
/// PostgreSQL database several share) run their rounds while `leader` is
/// held: offering messages to providers, letter checks, retention, alerts.
/// The rest run on every instance, safe side by side: sends, test keys'
/// outcomes and receipt time-outs (`FOR UPDATE SKIP LOCKED`), callbacks and
/// jobs (leases), clean-ups (deletes).
pub fn start(state: &AppState, leader: Leadership) {
    let pool = &state.pool;
    housekeeping::spawn_session_cleanup(pool.clone(), state.config.session_limits());
    housekeeping::spawn_checkpoints(pool.clone());
    callbacks::spawn(callbacks::Worker {
        pool: pool.clone(),
        secrets: state.secrets.clone(),
        callbacks: state.callbacks.clone(),
    });
    retention::spawn(pool.clone(), leader.clone());
    jobs::spawn(pool.clone());
    alerts::spawn(pool.clone(), state.api.clone(), state.config.base_url.clone(), leader.clone());
    match crate::letters::Checker::new(pool.clone(), state.config.letter_checker.clone()) {
        Ok(checker) => checker.spawn(leader.clone()),
        Err(e) => tracing::error!(error = ?e, "precompiled letters will not be checked: no checker program"),
    }
    crate::api_v2::runtime::spawn_workers(state.api.clone(), pool.clone(), state.callbacks.clone());
    delivery::spawn(pool.clone(), providers(&state.config), leader);
    delivery::spawn_receipt_timeouts(pool.clone());
}

/// Each channel's provider, from the configuration (checked when it was
/// read, so a provider that cannot be built is not expected: its channel
/// stays with the built-in outbox, said in the log).
fn providers(config: &crate::config::Config) -> delivery::Providers {
    let mut providers = delivery::Providers::embedded();
    if let Some(smtp) = &config.smtp {
        match email::SmtpEmail::new(smtp, config.ses_receipts.is_some()) {
            Ok(email) => providers.email = delivery::Channel::real(Box::new(email), smtp.concurrency),
            Err(e) => tracing::error!(error = %e, "emails stay in the outbox"),
        }
    }
    if let Some(firetext) = &config.firetext {
        match sms::FiretextSms::new(firetext) {
            Ok(sms) => providers.sms = delivery::Channel::real(Box::new(sms), firetext.concurrency),
            Err(e) => tracing::error!(error = %e, "text messages stay in the outbox"),
        }
    }
    providers
}
