//! Configuration from the environment, with safe defaults for a local run.
//! A bad value stops start-up with one line naming the variable.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Clone)]
pub struct Config {
    pub listen_addr: SocketAddr,
    pub database_url: String,
    pub data_dir: PathBuf,
    /// 64 hex characters when set; never printed.
    pub secret_key_hex: Option<String>,
    pub demo: bool,
    pub log_format: LogFormat,
    pub session_idle_minutes: i64,
    /// A session ends this long after sign-in however active
    /// (`NOTIFY_SESSION_MAX_HOURS`, default 20 as Notify's).
    pub session_max_hours: i64,
    pub base_url: String,
    pub site_root: String,
    pub allow_private_callback_urls: bool,
    /// Secret-scanning services' public keys (identifier, P-256 key as DER):
    /// when any is set, a scanner's report must carry a valid signature.
    pub secret_scanning_keys: Vec<(String, Vec<u8>)>,
    /// Behind a reverse proxy: take the client's address from the last
    /// `X-Forwarded-For` entry (the one the proxy added) instead of the
    /// connection's (`NOTIFY_TRUST_X_FORWARDED_FOR`).
    pub trust_forwarded_for: bool,
    /// The password an SMS provider's inbound requests carry (user
    /// `notify`), `NOTIFY_INBOUND_SMS_PASSWORD`; none: the endpoint refuses
    /// every request.
    pub inbound_sms_password: Option<String>,
    /// The program that checks precompiled letters in a child process
    /// (`NOTIFY_LETTER_CHECKER`; default this server's own binary, run as
    /// `server check-letter-pdf`). Tests point it at the built binary.
    pub letter_checker: Option<PathBuf>,
    /// Bytes of precompiled letter files a service may store in a day with
    /// live and team keys (`NOTIFY_LETTER_FILES_DAILY_MB`, default 1024).
    pub letter_files_daily_bytes: i64,
    /// Whose look the pages have: `NOTIFY_BRAND` (`neutral`, the default,
    /// or `govuk` for services on GOV.UK) and, for the neutral brand,
    /// `NOTIFY_PRODUCT_NAME`.
    pub brand: app::view_model::Brand,
    /// Where live and team keys' emails go (`NOTIFY_SMTP_URL` and
    /// friends); none: the built-in outbox.
    pub smtp: Option<SmtpSettings>,
    /// Where live and team keys' text messages go (`NOTIFY_FIRETEXT_API_KEY`
    /// and friends); none: the built-in outbox.
    pub firetext: Option<FiretextSettings>,
    /// Amazon SES's delivery receipts through SNS (`NOTIFY_SES_RECEIPTS`);
    /// none: an email the relay accepted is `delivered`.
    pub ses_receipts: Option<SesReceipts>,
}

/// Receipts for emails sent through Amazon SES's SMTP relay, posted by SNS
/// to `POST /notifications/email/ses`.
#[derive(Clone, Debug, Default)]
pub struct SesReceipts {
    /// Only messages from these SNS topics (`NOTIFY_SNS_TOPIC_ARNS`,
    /// comma-separated); empty: any topic.
    pub topic_arns: Vec<String>,
    /// The signing certificate used instead of the one at the message's
    /// `SigningCertURL` (`NOTIFY_SNS_CERTIFICATE`, a PEM file): pinned, for
    /// tests and for deployments that fetch nothing. The URL must still be
    /// SNS's.
    pub certificate_pem: Option<String>,
}

/// Firetext's API for text messages. The key, and a receipt URL that may
/// hold credentials, are never printed.
#[derive(Clone)]
pub struct FiretextSettings {
    pub api_key: String,
    /// Where messages are posted (`NOTIFY_FIRETEXT_URL`, default Firetext's
    /// own [`FIRETEXT_URL`]).
    pub url: String,
    /// Where Firetext sends delivery receipts, given with each message
    /// (`NOTIFY_FIRETEXT_RECEIPT_URL`); none: as set in the Firetext account.
    pub receipt_url: Option<String>,
    /// Messages posted at once (`NOTIFY_SMS_CONCURRENCY`, default 8).
    pub concurrency: usize,
}

/// Firetext's endpoint for sending a text message.
pub const FIRETEXT_URL: &str = "https://www.firetext.co.uk/api/sendsms/json";

/// An SMTP relay for email. The URL may hold a password: it is never
/// printed.
#[derive(Clone)]
pub struct SmtpSettings {
    /// lettre's URL form: `smtp://user:pass@host:587?tls=required`,
    /// `smtps://host`, `smtp://host:25` (no TLS, for a relay on the same
    /// host).
    pub url: String,
    /// Emails come from `{service's local part}@{this domain}`
    /// (`NOTIFY_EMAIL_FROM_DOMAIN`).
    pub from_domain: String,
    /// Emails handed to the relay at once, and connections kept open
    /// (`NOTIFY_SMTP_CONCURRENCY`, default 8).
    pub concurrency: usize,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen_addr", &self.listen_addr)
            // It may hold a password (postgres://user:password@host/db).
            .field("database_url", &redacted_url(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("secret_key", &self.secret_key_hex.as_ref().map(|_| "[set]"))
            .field("demo", &self.demo)
            .field("log_format", &self.log_format)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("base_url", &self.base_url)
            .field("smtp", &self.smtp.as_ref().map(|s| format!("[set], from @{}", s.from_domain)))
            .field("firetext", &self.firetext.as_ref().map(|f| format!("[set], to {}", f.url)))
            .finish()
    }
}

/// How long a session lives (`NOTIFY_SESSION_IDLE_MINUTES`,
/// `NOTIFY_SESSION_MAX_HOURS`): the one home of the two cutoffs, for the
/// check on every request and for this clean-up.
#[derive(Clone, Copy, Debug)]
pub struct SessionLimits {
    pub idle_minutes: i64,
    pub max_hours: i64,
}

impl SessionLimits {
    /// Sessions last seen before this are idle past the limit.
    pub fn idle_cutoff(self) -> app::domain::Timestamp {
        app::ssr::clock::ago(time::Duration::minutes(self.idle_minutes))
    }

    /// Sessions started before this have lived their whole lifetime.
    pub fn lifetime_cutoff(self) -> app::domain::Timestamp {
        app::ssr::clock::ago(time::Duration::hours(self.max_hours))
    }
}

impl Config {
    pub fn session_limits(&self) -> SessionLimits {
        SessionLimits { idle_minutes: self.session_idle_minutes, max_hours: self.session_max_hours }
    }
}

/// A configuration variable with a bad value.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

/// `notify.example.gov.uk`: dot-separated labels of letters, digits and
/// inner hyphens, with at least one dot.
fn is_domain(d: &str) -> bool {
    d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `url` without its password, for printing.
fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("redacted"));
            u.to_string()
        }
        Ok(_) => url.to_string(),
        // Not a URL we can read: it might still hold a secret somewhere.
        Err(_) if url.contains('@') => "[set]".to_string(),
        Err(_) => url.to_string(),
    }
}

/// Whether `value` is an http or https URL with a host.
fn is_http_url(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// A whole number from 1 to 256 (a concurrency), or `default`.
fn concurrency(variable: &'static str, value: Option<String>, default: usize) -> Result<usize, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=256).contains(&n) => Ok(n),
            _ => Err(err(variable, format!("expected a whole number from 1 to 256, got {v:?}"))),
        },
    }
}

fn err(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { variable, message: message.into() }
}

fn parse_bool(variable: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(err(variable, format!("expected true or false, got {value:?}"))),
    }
}

/// `id=BASE64;id=BASE64…`: each a key identifier and the base64 of a P-256
/// public key in DER (the body of the PEM GitHub publishes, without its
/// header and footer lines).
fn parse_scanning_keys(value: &str) -> Result<Vec<(String, Vec<u8>)>, ConfigError> {
    use base64::Engine;
    const VAR: &str = "NOTIFY_SECRET_SCANNING_KEYS";
    value
        .split(';')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (id, key) = entry.split_once('=').ok_or_else(|| err(VAR, "expected id=base64;…"))?;
            let der: String = key.chars().filter(|c| !c.is_whitespace()).collect();
            let der = base64::engine::general_purpose::STANDARD
                .decode(der)
                .map_err(|_| err(VAR, format!("the key {id:?} is not base64")))?;
            use p256::pkcs8::DecodePublicKey;
            p256::ecdsa::VerifyingKey::from_public_key_der(&der)
                .map_err(|_| err(VAR, format!("the key {id:?} is not a P-256 public key")))?;
            Ok((id.trim().to_string(), der))
        })
        .collect()
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads configuration through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let listen = get("NOTIFY_LISTEN_ADDR").or_else(|| get("LEPTOS_SITE_ADDR"));
        let listen_addr = match listen {
            Some(v) => v.parse::<SocketAddr>().map_err(|_| {
                err("NOTIFY_LISTEN_ADDR", format!("expected an address like 127.0.0.1:3000, got {v:?}"))
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };
        let data_dir = PathBuf::from(get("NOTIFY_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = match get("DATABASE_URL") {
            Some(v) if v.starts_with("sqlite:") || app::ssr::store::is_postgres_url(&v) => v,
            // The value is never echoed: a database URL may hold a password.
            Some(_) => {
                return Err(err(
                    "DATABASE_URL",
                    "expected a sqlite: URL, like sqlite:data/notify.db, or a postgres:// URL",
                ))
            }
            None => format!("sqlite:{}", data_dir.join("notify.db").display()),
        };
        let secret_key_hex = match get("NOTIFY_SECRET_KEY") {
            Some(v) if v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()) => Some(v.to_ascii_lowercase()),
            // The value itself is never echoed: it is a secret.
            Some(_) => return Err(err("NOTIFY_SECRET_KEY", "expected 64 hexadecimal characters (32 bytes)")),
            None => None,
        };
        let demo = match get("NOTIFY_DEMO") {
            Some(v) => parse_bool("NOTIFY_DEMO", &v)?,
            None => false,
        };
        let log_format = match get("NOTIFY_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("") | Some("human") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(v) => return Err(err("NOTIFY_LOG_FORMAT", format!("expected human or json, got {v:?}"))),
        };
        let session_idle_minutes = match get("NOTIFY_SESSION_IDLE_MINUTES") {
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if (1..=10_080).contains(&n) => n,
                _ => {
                    return Err(err(
                        "NOTIFY_SESSION_IDLE_MINUTES",
                        format!("expected whole minutes from 1 to 10080, got {v:?}"),
                    ))
                }
            },
            None => 60,
        };
        let session_max_hours = match get("NOTIFY_SESSION_MAX_HOURS") {
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if (1..=720).contains(&n) => n,
                _ => {
                    return Err(err(
                        "NOTIFY_SESSION_MAX_HOURS",
                        format!("expected whole hours from 1 to 720, got {v:?}"),
                    ))
                }
            },
            None => 20,
        };
        let base_url = match get("NOTIFY_BASE_URL") {
            Some(v) if (v.starts_with("http://") || v.starts_with("https://")) && v.len() > 8 => {
                v.trim_end_matches('/').to_string()
            }
            Some(v) => return Err(err("NOTIFY_BASE_URL", format!("expected an http:// or https:// URL, got {v:?}"))),
            None => format!("http://{listen_addr}"),
        };
        let site_root = get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into());
        let allow_private_callback_urls = match get("NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS") {
            Some(v) => parse_bool("NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS", &v)?,
            None => false,
        };
        let secret_scanning_keys = match get("NOTIFY_SECRET_SCANNING_KEYS") {
            Some(v) => parse_scanning_keys(&v)?,
            None => Vec::new(),
        };
        let trust_forwarded_for = match get("NOTIFY_TRUST_X_FORWARDED_FOR") {
            Some(v) => parse_bool("NOTIFY_TRUST_X_FORWARDED_FOR", &v)?,
            None => false,
        };
        let inbound_sms_password = match get("NOTIFY_INBOUND_SMS_PASSWORD") {
            Some(v) if v.len() >= 16 => Some(v),
            // The value itself is never echoed: it is a secret.
            Some(_) => return Err(err("NOTIFY_INBOUND_SMS_PASSWORD", "expected at least 16 characters")),
            None => None,
        };
        let letter_checker = get("NOTIFY_LETTER_CHECKER").filter(|v| !v.trim().is_empty()).map(PathBuf::from);
        let letter_files_daily_bytes = match get("NOTIFY_LETTER_FILES_DAILY_MB") {
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if (1..=1_048_576).contains(&n) => n * 1024 * 1024,
                _ => {
                    return Err(err(
                        "NOTIFY_LETTER_FILES_DAILY_MB",
                        format!("expected whole megabytes from 1 to 1048576, got {v:?}"),
                    ))
                }
            },
            None => 1024 * 1024 * 1024,
        };
        let brand = match get("NOTIFY_BRAND").as_deref().map(str::trim) {
            Some("govuk") => app::view_model::Brand::GovUk,
            None | Some("") | Some("neutral") => {
                let product_name = match get("NOTIFY_PRODUCT_NAME") {
                    Some(v) if !v.trim().is_empty() => {
                        let v = v.trim().to_string();
                        if v.chars().count() > 60 || v.chars().any(char::is_control) {
                            return Err(err(
                                "NOTIFY_PRODUCT_NAME",
                                "expected a name of at most 60 characters on one line",
                            ));
                        }
                        v
                    }
                    _ => app::view_model::DEFAULT_PRODUCT_NAME.to_string(),
                };
                app::view_model::Brand::Neutral { product_name }
            }
            Some(v) => return Err(err("NOTIFY_BRAND", format!("expected neutral or govuk, got {v:?}"))),
        };
        let smtp = match get("NOTIFY_SMTP_URL").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(url) => {
                // The value is never echoed: it may hold a password.
                if lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url.trim()).is_err() {
                    return Err(err(
                        "NOTIFY_SMTP_URL",
                        "expected an SMTP URL like smtp://user:password@host:587?tls=required or smtps://host",
                    ));
                }
                let from_domain = match get("NOTIFY_EMAIL_FROM_DOMAIN").map(|v| v.trim().to_ascii_lowercase()) {
                    Some(d) if is_domain(&d) => d,
                    Some(d) => {
                        return Err(err(
                            "NOTIFY_EMAIL_FROM_DOMAIN",
                            format!("expected a domain like notify.example.gov.uk, got {d:?}"),
                        ))
                    }
                    None => {
                        return Err(err(
                            "NOTIFY_EMAIL_FROM_DOMAIN",
                            "needed with NOTIFY_SMTP_URL: the domain emails come from",
                        ))
                    }
                };
                let concurrency = concurrency("NOTIFY_SMTP_CONCURRENCY", get("NOTIFY_SMTP_CONCURRENCY"), 8)?;
                Some(SmtpSettings { url: url.trim().to_string(), from_domain, concurrency })
            }
        };
        let firetext = match get("NOTIFY_FIRETEXT_API_KEY").map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
            None => None,
            Some(api_key) => {
                // The key is never echoed.
                if api_key.len() > 200 || api_key.chars().any(|c| c.is_control() || c.is_whitespace()) {
                    return Err(err("NOTIFY_FIRETEXT_API_KEY", "expected one word of at most 200 characters"));
                }
                let url = match get("NOTIFY_FIRETEXT_URL").map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
                    None => FIRETEXT_URL.to_string(),
                    Some(v) if is_http_url(&v) => v,
                    Some(v) => {
                        return Err(err(
                            "NOTIFY_FIRETEXT_URL",
                            format!("expected an http or https URL like {FIRETEXT_URL}, got {v:?}"),
                        ))
                    }
                };
                let receipt_url =
                    match get("NOTIFY_FIRETEXT_RECEIPT_URL").map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
                        None => None,
                        Some(v) if is_http_url(&v) => Some(v),
                        // Not echoed: it may carry the receipts' password.
                        Some(_) => {
                            return Err(err(
                                "NOTIFY_FIRETEXT_RECEIPT_URL",
                                "expected an https URL ending /notifications/sms/firetext",
                            ))
                        }
                    };
                let concurrency = concurrency("NOTIFY_SMS_CONCURRENCY", get("NOTIFY_SMS_CONCURRENCY"), 8)?;
                Some(FiretextSettings { api_key, url, receipt_url, concurrency })
            }
        };
        let ses_receipts = match get("NOTIFY_SES_RECEIPTS") {
            Some(v) if parse_bool("NOTIFY_SES_RECEIPTS", &v)? => {
                if smtp.is_none() {
                    return Err(err(
                        "NOTIFY_SES_RECEIPTS",
                        "needs NOTIFY_SMTP_URL: receipts are for emails sent through SES",
                    ));
                }
                let topic_arns = get("NOTIFY_SNS_TOPIC_ARNS")
                    .map(|v| {
                        v.split(',').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                if let Some(bad) = topic_arns.iter().find(|t| !t.starts_with("arn:aws") || t.split(':').count() != 6) {
                    return Err(err(
                        "NOTIFY_SNS_TOPIC_ARNS",
                        format!(
                            "expected SNS topic ARNs like arn:aws:sns:eu-west-2:123456789012:ses-receipts, got {bad:?}"
                        ),
                    ));
                }
                let certificate_pem = match get("NOTIFY_SNS_CERTIFICATE").filter(|v| !v.trim().is_empty()) {
                    None => None,
                    Some(path) => match std::fs::read_to_string(path.trim()) {
                        Ok(pem) => match crate::web::sns::key_from_certificate(&pem) {
                            Ok(_) => Some(pem),
                            Err(why) => return Err(err("NOTIFY_SNS_CERTIFICATE", format!("{path:?}: {why}"))),
                        },
                        Err(e) => return Err(err("NOTIFY_SNS_CERTIFICATE", format!("cannot read {path:?}: {e}"))),
                    },
                };
                Some(SesReceipts { topic_arns, certificate_pem })
            }
            _ => None,
        };
        Ok(Self {
            ses_receipts,
            firetext,
            smtp,
            brand,
            letter_checker,
            letter_files_daily_bytes,
            inbound_sms_password,
            trust_forwarded_for,
            secret_scanning_keys,
            listen_addr,
            database_url,
            data_dir,
            secret_key_hex,
            demo,
            log_format,
            session_idle_minutes,
            session_max_hours,
            base_url,
            site_root,
            allow_private_callback_urls,
        })
    }

    /// Whether the site is served over https (so cookies get `Secure`).
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_safe_for_a_local_run() {
        let c = config(&[]).unwrap();
        assert_eq!(c.listen_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.database_url, "sqlite:data/notify.db");
        assert!(!c.demo);
        assert_eq!(c.log_format, LogFormat::Human);
        assert_eq!(c.session_idle_minutes, 60);
        assert!(!c.is_https());
        assert!(!c.allow_private_callback_urls);
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (var, value) in [
            ("NOTIFY_LISTEN_ADDR", "nowhere"),
            ("DATABASE_URL", "mysql://x"),
            ("NOTIFY_SECRET_KEY", "short"),
            ("NOTIFY_DEMO", "maybe"),
            ("NOTIFY_LOG_FORMAT", "xml"),
            ("NOTIFY_SESSION_IDLE_MINUTES", "0"),
            ("NOTIFY_BASE_URL", "ftp://x"),
            ("NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS", "perhaps"),
            ("NOTIFY_SECRET_SCANNING_KEYS", "no-equals-sign"),
            ("NOTIFY_SECRET_SCANNING_KEYS", "github=not base64!"),
            ("NOTIFY_SECRET_SCANNING_KEYS", "github=aGVsbG8="),
        ] {
            let e = config(&[(var, value)]).err().unwrap_or_else(|| panic!("{var}={value} accepted"));
            assert_eq!(e.variable, var);
            assert!(e.to_string().starts_with(&format!("{var}: ")));
        }
    }

    #[test]
    fn a_database_url_is_not_echoed_it_may_hold_a_password() {
        for url in ["mysql://notify:hunter2-secret@db/notify", "postgresx://notify:hunter2-secret@db/notify"] {
            let e = config(&[("DATABASE_URL", url)]).err().unwrap();
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn sqlite_and_postgres_urls_are_taken() {
        for url in ["sqlite:data/notify.db", "postgres://notify@db/notify", "postgresql://notify:pw@db:5432/notify"] {
            assert_eq!(config(&[("DATABASE_URL", url)]).unwrap().database_url, url);
        }
    }

    #[test]
    fn firetext_settings_are_checked_and_the_key_is_never_echoed() {
        let ok = config(&[("NOTIFY_FIRETEXT_API_KEY", "hunter2-secret-key")]).unwrap();
        let f = ok.firetext.as_ref().unwrap();
        assert_eq!((f.url.as_str(), f.receipt_url.as_deref(), f.concurrency), (FIRETEXT_URL, None, 8));
        let with_receipts = config(&[
            ("NOTIFY_FIRETEXT_API_KEY", "hunter2-secret-key"),
            ("NOTIFY_FIRETEXT_URL", "http://127.0.0.1:9000/api/sendsms/json"),
            (
                "NOTIFY_FIRETEXT_RECEIPT_URL",
                "https://notify:hunter2-receipts@notify.example/notifications/sms/firetext",
            ),
            ("NOTIFY_SMS_CONCURRENCY", "16"),
        ])
        .unwrap();
        assert_eq!(with_receipts.firetext.as_ref().unwrap().concurrency, 16);
        for c in [&ok, &with_receipts] {
            assert!(!format!("{c:?}").contains("hunter2"), "{c:?}");
        }
        for (pairs, var) in [
            (vec![("NOTIFY_FIRETEXT_API_KEY", "two words hunter2")], "NOTIFY_FIRETEXT_API_KEY"),
            (vec![("NOTIFY_FIRETEXT_API_KEY", "hunter2"), ("NOTIFY_FIRETEXT_URL", "ftp://x")], "NOTIFY_FIRETEXT_URL"),
            (
                vec![("NOTIFY_FIRETEXT_API_KEY", "hunter2"), ("NOTIFY_FIRETEXT_RECEIPT_URL", "notify:hunter2@x")],
                "NOTIFY_FIRETEXT_RECEIPT_URL",
            ),
            (
                vec![("NOTIFY_FIRETEXT_API_KEY", "hunter2"), ("NOTIFY_SMS_CONCURRENCY", "many")],
                "NOTIFY_SMS_CONCURRENCY",
            ),
        ] {
            let e = config(&pairs).err().unwrap_or_else(|| panic!("{pairs:?} accepted"));
            assert_eq!(e.variable, var);
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn ses_receipts_need_smtp_and_good_topics() {
        let smtp = [("NOTIFY_SMTP_URL", "smtp://relay.example"), ("NOTIFY_EMAIL_FROM_DOMAIN", "a.example")];
        assert!(config(&smtp).unwrap().ses_receipts.is_none());
        let on = config(&[smtp[0], smtp[1], ("NOTIFY_SES_RECEIPTS", "true")]).unwrap();
        assert!(on.ses_receipts.as_ref().unwrap().topic_arns.is_empty());
        let topics = config(&[
            smtp[0],
            smtp[1],
            ("NOTIFY_SES_RECEIPTS", "true"),
            ("NOTIFY_SNS_TOPIC_ARNS", "arn:aws:sns:eu-west-2:123456789012:a, arn:aws:sns:eu-west-2:123456789012:b"),
        ])
        .unwrap();
        assert_eq!(topics.ses_receipts.unwrap().topic_arns.len(), 2);
        for (pairs, var) in [
            (vec![("NOTIFY_SES_RECEIPTS", "true")], "NOTIFY_SES_RECEIPTS"),
            (
                vec![smtp[0], smtp[1], ("NOTIFY_SES_RECEIPTS", "true"), ("NOTIFY_SNS_TOPIC_ARNS", "ses")],
                "NOTIFY_SNS_TOPIC_ARNS",
            ),
            (
                vec![
                    smtp[0],
                    smtp[1],
                    ("NOTIFY_SES_RECEIPTS", "true"),
                    ("NOTIFY_SNS_CERTIFICATE", "/nowhere/cert.pem"),
                ],
                "NOTIFY_SNS_CERTIFICATE",
            ),
        ] {
            let e = config(&pairs).err().unwrap_or_else(|| panic!("{pairs:?} accepted"));
            assert_eq!(e.variable, var);
        }
    }

    #[test]
    fn printed_database_urls_lose_their_password() {
        assert_eq!(redacted_url("postgres://notify:hunter2@db/notify"), "postgres://notify:redacted@db/notify");
        assert_eq!(redacted_url("sqlite:data/notify.db"), "sqlite:data/notify.db");
    }

    #[test]
    fn smtp_settings_are_checked_and_the_url_is_never_echoed() {
        let ok = config(&[
            ("NOTIFY_SMTP_URL", "smtp://notify:hunter2-secret@relay.example:587?tls=required"),
            ("NOTIFY_EMAIL_FROM_DOMAIN", "Notify.Example.gov.uk"),
        ])
        .unwrap();
        let smtp = ok.smtp.as_ref().unwrap();
        assert_eq!((smtp.from_domain.as_str(), smtp.concurrency), ("notify.example.gov.uk", 8));
        assert!(!format!("{ok:?}").contains("hunter2"), "{ok:?}");
        for (pairs, var) in [
            (vec![("NOTIFY_SMTP_URL", "http://notify:hunter2-secret@relay.example")], "NOTIFY_SMTP_URL"),
            (vec![("NOTIFY_SMTP_URL", "smtp://relay.example")], "NOTIFY_EMAIL_FROM_DOMAIN"),
            (
                vec![("NOTIFY_SMTP_URL", "smtp://relay.example"), ("NOTIFY_EMAIL_FROM_DOMAIN", "localhost")],
                "NOTIFY_EMAIL_FROM_DOMAIN",
            ),
            (
                vec![
                    ("NOTIFY_SMTP_URL", "smtp://relay.example"),
                    ("NOTIFY_EMAIL_FROM_DOMAIN", "a.example"),
                    ("NOTIFY_SMTP_CONCURRENCY", "0"),
                ],
                "NOTIFY_SMTP_CONCURRENCY",
            ),
        ] {
            let e = config(&pairs).err().unwrap_or_else(|| panic!("{pairs:?} accepted"));
            assert_eq!(e.variable, var);
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
        assert!(config(&[]).unwrap().smtp.is_none());
    }

    #[test]
    fn a_bad_secret_key_is_not_echoed() {
        let e = config(&[("NOTIFY_SECRET_KEY", "zz-very-secret-zz")]).err().unwrap();
        assert!(!e.to_string().contains("very-secret"));
    }

    #[test]
    fn https_base_url_means_secure_cookies() {
        assert!(config(&[("NOTIFY_BASE_URL", "https://notify.example.gov.uk/")]).unwrap().is_https());
    }
}
