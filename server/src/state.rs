//! What every handler can reach: configuration, the database, the secrets
//! and the API's per-process state.

use crate::server_key::SecretKey;
use crate::Config;
use app::ssr::secrets::Secrets;
use app::ssr::store::Store;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub pool: Store,
    pub secret_key: SecretKey,
    pub secrets: Secrets,
    pub api: Arc<crate::api_v2::runtime::ApiRuntime>,
    pub callbacks: Arc<crate::workers::callbacks::Dispatcher>,
    /// Checks SNS's signatures, when SES receipts are enabled.
    pub sns: Option<crate::web::sns::SnsVerifier>,
    /// This service as WebAuthn knows it, where security keys can work
    /// (`app::ssr::security_keys::relying_party`).
    pub webauthn: Option<app::ssr::security_keys::RelyingParty>,
    pub leptos: LeptosOptions,
    /// Slots for password hashing (see [`HASHING_SLOTS`]).
    pub hashing: tokio::sync::Semaphore,
    /// Sign-ins hashing or waiting to (see [`SIGN_IN_QUEUE`]): beyond it a
    /// sign-in is answered 429 at once, before any work.
    pub sign_in_admission: tokio::sync::Semaphore,
    /// Leak reports being worked on (see `web::leaks::REPORTS_AT_ONCE`).
    pub leak_reports: Arc<tokio::sync::Semaphore>,
    /// The serving process's lock on its database, held while it lives
    /// (set by `build`; `None` inside: an in-memory database).
    pub server_lock: std::sync::OnceLock<Option<crate::backup::ServerLock>>,
}

/// Password hashes computed at once, each on a blocking thread: argon2 takes
/// a core for tens of milliseconds, and the machine has few.
pub const HASHING_SLOTS: usize = 2;

/// Sign-ins that may wait for a hashing slot (each waits at most about a
/// hash's time per sign-in ahead of it: 8 × ~50 ms here).
pub const SIGN_IN_QUEUE: usize = 8;

impl AppState {
    pub fn new(config: Config, pool: Store, secret_key: SecretKey) -> Self {
        let leptos = LeptosOptions::builder()
            .output_name(option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("notify-api"))
            .site_root(config.site_root.clone())
            .site_pkg_dir("pkg")
            .site_addr(config.listen_addr)
            .build();
        let secrets = Secrets::new(secret_key.bytes());
        let hashing = tokio::sync::Semaphore::new(HASHING_SLOTS);
        let sign_in_admission = tokio::sync::Semaphore::new(HASHING_SLOTS + SIGN_IN_QUEUE);
        let callbacks = Arc::new(crate::workers::callbacks::Dispatcher::new(config.allow_private_callback_urls));
        let sns = config.ses_receipts.as_ref().and_then(|r| {
            // The pinned certificate was read when the configuration was.
            crate::web::sns::SnsVerifier::new(r.certificate_pem.as_deref())
                .map_err(|e| tracing::error!(error = %e, "SES receipts refused: no SNS verifier"))
                .ok()
        });
        let webauthn = app::ssr::security_keys::relying_party(&config.base_url, config.brand.product_name());
        if webauthn.is_none() {
            tracing::info!(
                base_url = %config.base_url,
                "security keys are off: WebAuthn needs a domain name over https (or localhost) in NOTIFY_BASE_URL"
            );
        }
        Self(Arc::new(Inner {
            sns,
            webauthn,
            config,
            pool,
            secret_key,
            secrets,
            api: Default::default(),
            callbacks,
            leptos,
            hashing,
            sign_in_admission,
            leak_reports: Arc::new(tokio::sync::Semaphore::new(crate::web::LEAK_REPORTS_AT_ONCE)),
            server_lock: Default::default(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
