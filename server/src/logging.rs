//! Logs on standard error, human-readable or JSON.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;

/// Human-readable or JSON logs on standard error; `RUST_LOG` narrows them.
pub fn init(format: &LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Human => builder.try_init(),
    };
}
