//! What the server reports of a service's activity, as pages show it and
//! server functions return it: the API integration hub's message log and a
//! callback's attempts. Made by the server's use cases, shown by `pages`;
//! neither depends on the other for it.

use serde::{Deserialize, Serialize};

/// One message in the hub's message log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogItem {
    pub id: String,
    pub recipient: String,
    pub key_name: String,
    /// RFC 3339, for `<time datetime>`.
    pub created_at: String,
    /// `just now`, `5 minutes ago`…
    pub when: String,
    /// `id`, `client_reference`… in Notify's order, only those set.
    pub details: Vec<(String, String)>,
    /// (`View email`, href) when the viewer may see the message.
    pub view_link: Option<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageLog {
    pub items: Vec<LogItem>,
    /// True when there are more messages than the log shows.
    pub full: bool,
    /// How long the service keeps its messages, in words.
    pub retention: String,
}

impl MessageLog {
    /// Whether `other` shows different messages or statuses (the relative
    /// times aside: those the page keeps current itself).
    pub fn differs_from(&self, other: &MessageLog) -> bool {
        self.full != other.full
            || self.retention != other.retention
            || self.items.len() != other.items.len()
            || self
                .items
                .iter()
                .zip(&other.items)
                .any(|(a, b)| a.id != b.id || a.details != b.details || a.view_link != b.view_link)
    }
}

/// One attempt in a callback page's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptItem {
    /// London time, `29 November at 2:05pm`.
    pub when: String,
    /// `Test callback` or `Notification {id}`, and the event's `webhook-id`.
    pub event: String,
    pub webhook_id: String,
    /// `HTTP 200`, `Timed out after 5 seconds`, `Refused: private address`…
    pub result: String,
    /// `120 ms`.
    pub duration: String,
    /// `Delivered`, `Failed`, `Retrying at 2:10pm`…
    pub next: String,
    /// Set when the event has failed for good: it can be resent.
    pub resendable: bool,
}

/// What a callback page shows of its deliveries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackActivity {
    pub attempts: Vec<AttemptItem>,
    /// The outcome of the test callback just sent, in words.
    pub message: Option<String>,
    /// A test callback is waiting for a retry: keep asking.
    pub test_pending: bool,
}

/// One of a job's messages, as its page lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobMessageItem {
    /// The row in the spreadsheet (the header is row 1).
    pub row: i64,
    pub recipient: String,
    /// `Delivered`, `Sending`, `Failed`…
    pub status: String,
    pub href: Option<String>,
}

/// How far a job has got: what its page shows and its server function
/// returns while the page is open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobProgress {
    /// What the job is doing, in words (`Sending`, `Finished`, `Scheduled
    /// for Tomorrow at 9:00am`, `Cancelled`…).
    pub status: String,
    /// Rows in the file.
    pub total: i64,
    /// Messages made from its rows so far.
    pub made: i64,
    /// Messages on their way (and rows not yet made into messages).
    pub sending: i64,
    pub delivered: i64,
    pub failed: i64,
    /// Nothing will change any more: the page stops asking.
    pub done: bool,
    /// The first messages, in the file's order.
    pub messages: Vec<JobMessageItem>,
    /// More messages than `messages` shows.
    pub more: bool,
}

/// A job in a service's list of jobs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummary {
    pub href: String,
    pub file_name: String,
    pub template_name: String,
    /// `Sent by Ada Lovelace on 7 December at 9:00am`, `Sent by the API key
    /// ‘…’`, `Scheduled for …`.
    pub hint: String,
    pub status: String,
    pub total: i64,
}
