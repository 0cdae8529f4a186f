//! What the server functions need from the server: the checks a page makes
//! (session, service, permission) and the data behind them. The server
//! provides it as context when it handles a server function call, so server
//! functions are checked exactly like the pages they serve.

use crate::activity::{CallbackActivity, JobProgress, MessageLog};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Why a server function call is refused. The caller sees only the status
/// and a fixed message; the details of a failure go to the server's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No valid session (401).
    SignedOut,
    /// Not a service of this user, or no such thing (404).
    NotFound,
    /// The user lacks the permission (403).
    Forbidden,
    /// Something unexpected (500).
    Failed,
}

impl Refusal {
    pub fn status(self) -> u16 {
        match self {
            Self::SignedOut => 401,
            Self::NotFound => 404,
            Self::Forbidden => 403,
            Self::Failed => 500,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::SignedOut => "Sign in again",
            Self::NotFound => "Page not found",
            Self::Forbidden => "You do not have permission to view this page",
            Self::Failed => "Sorry, there is a problem with the service",
        }
    }
}

pub trait Backend: Send + Sync + 'static {
    /// The hub's message log of `service_id`, for a signed-in member with
    /// the hub's permission.
    fn message_log(&self, request: http::request::Parts, service_id: String) -> BoxFuture<Result<MessageLog, Refusal>>;

    /// Sends a test callback of the kind `callback` (its URL slug) for a
    /// member with `manage_api_keys` whose `csrf_token` matches, waits
    /// briefly for the first attempt, and returns the attempt log.
    fn send_test_callback(
        &self,
        request: http::request::Parts,
        service_id: String,
        callback: String,
        csrf_token: String,
    ) -> BoxFuture<Result<CallbackActivity, Refusal>>;

    /// How far a job has got, for a member who may see its page.
    fn job_progress(
        &self,
        request: http::request::Parts,
        service_id: String,
        job_id: String,
    ) -> BoxFuture<Result<JobProgress, Refusal>>;

    /// The attempt log of a callback, for a member with `manage_api_keys`.
    fn callback_activity(
        &self,
        request: http::request::Parts,
        service_id: String,
        callback: String,
    ) -> BoxFuture<Result<CallbackActivity, Refusal>>;
}

/// The server's [`Backend`], as server functions find it in their context.
#[derive(Clone)]
pub struct BackendContext(pub Arc<dyn Backend>);
