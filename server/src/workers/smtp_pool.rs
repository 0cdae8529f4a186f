//! Our own pool of SMTP connections for `smtp://` relays (plain, or
//! upgraded with STARTTLS), opened with `TCP_NODELAY`.
//!
//! Why not lettre's pool: lettre writes an email's end-of-data marker
//! (`\r\n.\r\n`) as a second small write after the body. With Nagle's
//! algorithm on (lettre does not turn it off) that write waits until the
//! relay acknowledges the body, and a relay with nothing to send delays its
//! acknowledgement (about 40 ms on Linux): each email on a connection then
//! takes at least that long, about 22 emails a second per connection
//! (bench/email.sh). Opening the TCP connection ourselves, with `TCP_NODELAY`,
//! and handing it to lettre's connection (EHLO, STARTTLS, AUTH and the SMTP
//! exchange stay lettre's) removes the wait.
//!
//! `smtps://` (TLS from the first byte) stays with lettre's own pool: its
//! TLS set-up is not reachable from outside the crate.

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::Error;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How a relay's connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Starttls {
    /// Plain text (a relay on the same host or network).
    Never,
    /// STARTTLS when the relay offers it.
    Opportunistic,
    /// STARTTLS, or no connection.
    Required,
}

/// Where and how to connect, read from an `smtp://` URL as lettre reads it
/// (`smtp://user:password@host:port/ehlo-name?tls=required|opportunistic`;
/// port 25 without `tls`, 587 with it).
#[derive(Clone)]
pub struct Relay {
    pub host: String,
    pub port: u16,
    pub starttls: Starttls,
    pub credentials: Option<(String, String)>,
    pub hello_name: Option<String>,
}

impl Relay {
    /// `None` for a URL this pool does not serve (`smtps://`, or not an SMTP
    /// URL at all: lettre's parser then says so).
    pub fn from_url(url: &str) -> Option<Self> {
        let parsed = url::Url::parse(url).ok()?;
        if parsed.scheme() != "smtp" {
            return None;
        }
        let host = parsed.host_str()?.trim_start_matches('[').trim_end_matches(']').to_string();
        let tls = parsed.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let (starttls, default_port) = match tls.as_deref() {
            None => (Starttls::Never, 25),
            Some("required") => (Starttls::Required, 587),
            Some("opportunistic") => (Starttls::Opportunistic, 587),
            Some(_) => return None,
        };
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().ok().map(|c| c.into_owned());
        let credentials = match parsed.password() {
            Some(password) => Some((decode(parsed.username())?, decode(password)?)),
            None => None,
        };
        let path = parsed.path().trim_matches('/');
        Some(Self {
            host,
            port: parsed.port().unwrap_or(default_port),
            starttls,
            credentials,
            hello_name: (!path.is_empty()).then(|| path.to_string()),
        })
    }
}

/// A connection kept between emails, and when it was last used.
struct Idle {
    connection: AsyncSmtpConnection,
    since: Instant,
}

/// Connections to one relay, at most `size` open at once (the delivery
/// worker never asks for more than its concurrency).
pub struct NodelayPool {
    relay: Relay,
    hello: ClientId,
    timeout: Duration,
    size: usize,
    idle: Mutex<Vec<Idle>>,
}

/// A connection idle this long is checked (`NOOP`) before it is used again.
const CHECK_AFTER: Duration = Duration::from_secs(10);
/// A connection idle this long is closed rather than used again (relays
/// close idle connections after a minute or more).
const CLOSE_AFTER: Duration = Duration::from_secs(50);

impl NodelayPool {
    pub fn new(relay: Relay, size: usize, timeout: Duration) -> Self {
        let hello = relay.hello_name.clone().map(ClientId::Domain).unwrap_or_default();
        Self { relay, hello, timeout, size: size.max(1), idle: Mutex::default() }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let stream = tokio::time::timeout(
            self.timeout,
            tokio::net::TcpStream::connect((self.relay.host.as_str(), self.relay.port)),
        )
        .await
        .map_err(|_| SendError::Network("timed out connecting to the relay".into()))?
        .map_err(|e| SendError::Network(e.to_string()))?;
        stream.set_nodelay(true).map_err(|e| SendError::Network(e.to_string()))?;
        let mut connection =
            self.within(AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)).await?;
        let wants_tls = match self.relay.starttls {
            Starttls::Never => false,
            Starttls::Opportunistic => connection.can_starttls(),
            Starttls::Required => true,
        };
        if wants_tls {
            let parameters = TlsParameters::new(self.relay.host.clone()).map_err(SendError::Smtp)?;
            self.within(connection.starttls(parameters, &self.hello)).await?;
        }
        if let Some((user, password)) = &self.relay.credentials {
            let credentials = Credentials::new(user.clone(), password.clone());
            self.within(connection.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)).await?;
        }
        Ok(connection)
    }

    /// `f`, or a network error after the timeout.
    async fn within<T>(&self, f: impl std::future::Future<Output = Result<T, Error>>) -> Result<T, SendError> {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(SendError::Network("the relay did not answer in time".into())),
        }
    }

    /// An idle connection that still works, or a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, SendError> {
        loop {
            let idle = self.idle.lock().expect("never poisoned").pop();
            let Some(Idle { mut connection, since }) = idle else { return self.connect().await };
            let age = since.elapsed();
            if connection.has_broken() || age > CLOSE_AFTER {
                connection.abort().await;
                continue;
            }
            if age > CHECK_AFTER
                && !tokio::time::timeout(self.timeout, connection.test_connected()).await.unwrap_or(false)
            {
                connection.abort().await;
                continue;
            }
            return Ok(connection);
        }
    }

    fn give_back(&self, connection: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().expect("never poisoned");
        if !connection.has_broken() && idle.len() < self.size {
            idle.push(Idle { connection, since: Instant::now() });
        }
    }

    /// Sends one email: the relay's answer, as lettre's transport gives it.
    pub async fn send(&self, message: &lettre::Message) -> Result<Response, SendError> {
        let mut connection = self.checkout().await?;
        let result = self.within(connection.send(message.envelope(), &message.formatted())).await;
        match &result {
            // The relay answered (yes or no): the connection is still good.
            Ok(_) => self.give_back(connection),
            Err(SendError::Smtp(e)) if e.is_permanent() || e.is_transient() => self.give_back(connection),
            Err(_) => connection.abort().await,
        }
        result
    }
}

/// Why an email was not sent: the relay's refusal or the SMTP exchange's
/// error (lettre's), or no relay to talk to.
#[derive(Debug)]
pub enum SendError {
    Smtp(Error),
    Network(String),
}

impl SendError {
    /// A refusal the relay says is final (5xx).
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Smtp(e) if e.is_permanent())
    }

    /// The relay's reply code, if it replied.
    pub fn status(&self) -> Option<lettre::transport::smtp::response::Code> {
        match self {
            Self::Smtp(e) => e.status(),
            Self::Network(_) => None,
        }
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp(e) => write!(f, "{e}"),
            Self::Network(e) => write!(f, "network error: {e}"),
        }
    }
}

impl From<Error> for SendError {
    fn from(e: Error) -> Self {
        Self::Smtp(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_read_as_lettre_reads_them() {
        let r = Relay::from_url("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (r.host.as_str(), r.port, r.starttls, r.credentials.is_none()),
            ("127.0.0.1", 2525, Starttls::Never, true)
        );
        let r = Relay::from_url("smtp://user%40x:p%3Ass@relay.example?tls=required").unwrap();
        assert_eq!((r.port, r.starttls), (587, Starttls::Required));
        assert_eq!(r.credentials, Some(("user@x".to_string(), "p:ss".to_string())));
        let r = Relay::from_url("smtp://relay.example/notify.example.gov.uk?tls=opportunistic").unwrap();
        assert_eq!((r.starttls, r.hello_name.as_deref()), (Starttls::Opportunistic, Some("notify.example.gov.uk")));
        assert_eq!(Relay::from_url("smtp://relay.example").unwrap().port, 25);
        assert!(Relay::from_url("smtps://relay.example").is_none());
        assert!(Relay::from_url("smtp://relay.example?tls=maybe").is_none());
    }
}
