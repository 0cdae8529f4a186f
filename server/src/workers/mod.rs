//! Background work. Every worker is started here, once, at start-up
//! ([`start`]), and gets only what it needs (the store, a client, its
//! settings), never the whole application state:
//!
//! | worker | does | gets |
//! |---|---|---|
//! | sends writer (`api_v2::runtime`) | stores sends in group commits; flushes keys' usage | the store, the API's counters, the dispatcher to wake |
//! | [`delivery`] | hands live and team messages to their provider ([`email`] over SMTP when configured); finishes test keys' | the store, the providers and their settings |
//! | [`callbacks`] | sends callbacks, records attempts, prunes their history | the store, the secrets, the dispatcher |
//! | letter checks (`letters`) | checks precompiled PDFs in a child process | the store, the checker program |
//! | [`retention`] | deletes messages past their service's retention | the store |
//! | [`alerts`] | raises alerts on unusual key usage | the store, the API's counters |
//! | [`housekeeping`] | WAL checkpoints; old sessions and sign-in failures | the store, the session limits |

pub mod alerts;
pub mod callbacks;
pub mod delivery;
pub mod email;
pub mod housekeeping;
pub mod retention;

use crate::AppState;

/// Starts every worker.
pub fn start(state: &AppState) {
    let pool = &state.pool;
    housekeeping::spawn_session_cleanup(pool.clone(), state.config.session_limits());
    housekeeping::spawn_checkpoints(pool.clone());
    callbacks::spawn(callbacks::Worker {
        pool: pool.clone(),
        secrets: state.secrets.clone(),
        callbacks: state.callbacks.clone(),
    });
    retention::spawn(pool.clone());
    alerts::spawn(pool.clone(), state.api.clone());
    match crate::letters::Checker::new(pool.clone(), state.config.letter_checker.clone()) {
        Ok(checker) => checker.spawn(),
        Err(e) => tracing::error!(error = ?e, "precompiled letters will not be checked: no checker program"),
    }
    crate::api_v2::runtime::spawn_workers(state.api.clone(), pool.clone(), state.callbacks.clone());
    let providers = match &state.config.smtp {
        Some(smtp) => match email::SmtpEmail::new(smtp) {
            Ok(email) => delivery::Providers {
                email: Box::new(email),
                email_concurrency: smtp.concurrency,
                other: Box::new(delivery::EmbeddedOutbox),
            },
            Err(e) => {
                // Checked when the configuration was read: not expected.
                tracing::error!(error = %e, "emails stay in the outbox");
                delivery::Providers::embedded()
            }
        },
        None => delivery::Providers::embedded(),
    };
    delivery::spawn(pool.clone(), providers);
}
