//! Callback URLs and bearer tokens, with Notify's messages.

use super::permission::string_enum;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

string_enum! {
    /// The kinds of callback a service can have, stored as Notify's
    /// `callback_type`.
    CallbackKind {
        DeliveryStatus => "delivery_status",
        ReceivedTextMessages => "inbound_sms",
        ReturnedLetters => "returned_letter",
    }
}

impl CallbackKind {
    /// The last part of its form's URL.
    pub fn slug(self) -> &'static str {
        match self {
            Self::DeliveryStatus => "delivery-status-callback",
            Self::ReceivedTextMessages => "received-text-messages-callback",
            Self::ReturnedLetters => "returned-letters-callback",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.slug() == slug)
    }
}

pub const MIN_TOKEN_LENGTH: usize = 10;
/// What the form shows in place of a saved token, which is never sent back.
pub const TOKEN_PLACEHOLDER: &str = "bearer_token_set";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackUrl(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallbackUrlError {
    #[error("Cannot be empty")]
    Empty,
    #[error("Must be a valid https URL")]
    NotHttps,
    #[error("Must not be a local or private network address")]
    PrivateAddress,
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.octets()[0] == 100 && (64..128).contains(&ip.octets()[1]) // carrier-grade NAT
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link local fe80::/10
        || ip.to_ipv4_mapped().is_some_and(is_private_v4)
}

/// True for `localhost` (and its subdomains) and IP literals in loopback,
/// private, link-local or unique-local ranges.
pub fn is_private_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => is_private_v4(ip),
        Ok(IpAddr::V6(ip)) => is_private_v6(ip),
        Err(_) => false,
    }
}

impl CallbackUrl {
    pub fn parse(raw: &str, allow_private: bool) -> Result<Self, CallbackUrlError> {
        let url = raw.trim();
        if url.is_empty() {
            return Err(CallbackUrlError::Empty);
        }
        let rest = url.strip_prefix("https://").ok_or(CallbackUrlError::NotHttps)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host_port = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
        let host = if host_port.starts_with('[') {
            host_port.split_inclusive(']').next().unwrap_or("")
        } else {
            host_port.split(':').next().unwrap_or("")
        };
        let valid_host = !host.is_empty()
            && (host.starts_with('[') && host.ends_with(']')
                || host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
        if !valid_host || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(CallbackUrlError::NotHttps);
        }
        if !allow_private && is_private_host(host) {
            return Err(CallbackUrlError::PrivateAddress);
        }
        Ok(Self(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken([redacted])")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BearerTokenError {
    #[error("Cannot be empty")]
    Empty,
    #[error("The bearer token must be at least 10 characters long")]
    TooShort,
}

impl BearerToken {
    pub fn parse(raw: &str) -> Result<Self, BearerTokenError> {
        let token = raw.trim();
        if token.is_empty() {
            Err(BearerTokenError::Empty)
        } else if token.chars().count() < MIN_TOKEN_LENGTH {
            Err(BearerTokenError::TooShort)
        } else {
            Ok(Self(token.to_string()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn notifys_validation_cases() {
        assert_eq!(CallbackUrl::parse("", false), Err(CallbackUrlError::Empty));
        assert_eq!(CallbackUrl::parse("http://not_https.com", false), Err(CallbackUrlError::NotHttps));
        assert!(CallbackUrl::parse("https://test.url.com/", false).is_ok());
        assert_eq!(BearerToken::parse(""), Err(BearerTokenError::Empty));
        assert_eq!(BearerToken::parse("123456789"), Err(BearerTokenError::TooShort));
        assert!(BearerToken::parse("1234567890").is_ok());
    }

    #[test]
    fn local_and_private_hosts_are_refused_unless_allowed() {
        for url in [
            "https://localhost/cb",
            "https://api.localhost/cb",
            "https://127.0.0.1/cb",
            "https://10.1.2.3/cb",
            "https://172.16.0.1:8443/cb",
            "https://192.168.1.1/cb",
            "https://169.254.169.254/latest",
            "https://[::1]/cb",
            "https://[fd00::1]/cb",
            "https://[fe80::1]/cb",
            "https://[::ffff:127.0.0.1]/cb",
            "https://user@127.0.0.1/cb",
        ] {
            assert_eq!(CallbackUrl::parse(url, false), Err(CallbackUrlError::PrivateAddress), "{url}");
            assert!(CallbackUrl::parse(url, true).is_ok(), "{url} allowed");
        }
        assert!(CallbackUrl::parse("https://8.8.8.8/cb", false).is_ok());
        assert!(CallbackUrl::parse("https://[2001:db8::1]/cb", false).is_ok());
    }

    #[test]
    fn a_token_never_prints() {
        assert_eq!(format!("{:?}", BearerToken::parse("supersecret-token").unwrap()), "BearerToken([redacted])");
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,60}") {
            let _ = CallbackUrl::parse(&s, false);
            let _ = BearerToken::parse(&s);
        }

        #[test]
        fn public_https_hosts_are_accepted(host in "[a-z]{1,10}\\.(com|org|gov\\.uk)", path in "[a-z/]{0,10}") {
            let url = format!("https://{host}/{path}");
            prop_assert!(CallbackUrl::parse(&url, false).is_ok());
        }
    }
}
