//! Server-only code: the store (all SQL), passwords, tokens and time.

pub mod account;
pub mod backend;
pub mod callbacks;
pub mod clock;
pub mod guest_list;
pub mod jobs;
pub mod jwt;
pub mod keys;
pub mod one_off;
pub mod passwords;
pub mod platform_emails;
pub mod recipients;
pub mod reply_to;
pub mod sanitise;
pub mod second_factor;
pub mod secrets;
pub mod security_keys;
pub mod store;
pub mod team;
pub mod tokens;
pub mod uploads;
pub mod webhooks;
