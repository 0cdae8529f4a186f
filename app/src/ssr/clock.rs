//! The server's clock: now, as the store keeps times ([`Timestamp`]).

pub use crate::domain::Timestamp;
use time::Duration;

pub fn now() -> Timestamp {
    Timestamp::now()
}

/// The moment `d` ago.
pub fn ago(d: Duration) -> Timestamp {
    now() - d
}
