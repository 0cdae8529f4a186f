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

/// A callback URL that passed the address rules when it was saved. The same
/// rules run again at dispatch on every address the host resolves to
/// ([`address_refusal`]), so a name that later points somewhere private is
/// refused then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackUrl(url::Url);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallbackUrlError {
    #[error("Cannot be empty")]
    Empty,
    #[error("Must be a valid https URL")]
    NotHttps,
    #[error("Must not be a local or private network address")]
    PrivateAddress,
}

/// Why an address may not receive callbacks, in words for the attempt log:
/// `None` for an ordinary public address. Covers every range of IANA's IPv4
/// and IPv6 special-purpose registries; IPv4-mapped, IPv4-translated and
/// NAT64 (64:ff9b::/96) addresses are judged by the IPv4 address inside
/// them; IPv4-compatible (::/96) and 6to4 (2002::/16) addresses are refused
/// outright (deprecated forms only an attacker still writes).
pub fn address_refusal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => v4_refusal(ip),
        IpAddr::V6(ip) => v6_refusal(ip),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], bits: u32) -> bool {
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn v4_refusal(ip: Ipv4Addr) -> Option<&'static str> {
    const RANGES: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "this network"),
        ([10, 0, 0, 0], 8, "private address"),
        ([100, 64, 0, 0], 10, "shared address space"),
        ([127, 0, 0, 0], 8, "loopback address"),
        ([169, 254, 0, 0], 16, "link-local address"),
        ([172, 16, 0, 0], 12, "private address"),
        ([192, 0, 0, 0], 24, "IETF protocol assignment"),
        ([192, 0, 2, 0], 24, "documentation address"),
        ([192, 31, 196, 0], 24, "AS112 address"),
        ([192, 52, 193, 0], 24, "AMT address"),
        ([192, 88, 99, 0], 24, "6to4 relay address"),
        ([192, 168, 0, 0], 16, "private address"),
        ([192, 175, 48, 0], 24, "AS112 address"),
        ([198, 18, 0, 0], 15, "benchmarking address"),
        ([198, 51, 100, 0], 24, "documentation address"),
        ([203, 0, 113, 0], 24, "documentation address"),
        ([224, 0, 0, 0], 4, "multicast address"),
        ([240, 0, 0, 0], 4, "reserved address"),
    ];
    RANGES.iter().find(|(net, bits, _)| in_v4(ip, *net, *bits)).map(|(_, _, why)| *why)
}

fn v6_refusal(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let embedded = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if ip.is_loopback() {
        return Some("loopback address");
    }
    if ip.is_unspecified() {
        return Some("this network");
    }
    // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (translated).
    if s[..4] == [0; 4] && (s[4..6] == [0, 0xffff] || s[4..6] == [0xffff, 0]) {
        return v4_refusal(embedded());
    }
    // NAT64's well-known prefix: DNS64 gives every IPv4-only host one.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_refusal(embedded());
    }
    let prefix = |net: [u16; 2], bits: u32| {
        let value = (u32::from(s[0]) << 16) | u32::from(s[1]);
        let want = (u32::from(net[0]) << 16) | u32::from(net[1]);
        let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
        value & mask == want & mask
    };
    // Everything outside global unicast (2000::/3): IPv4-compatible,
    // local-use NAT64, discard-only, unique local, link local, site local,
    // multicast, unassigned.
    if !prefix([0x2000, 0], 3) {
        return Some(if prefix([0xfc00, 0], 7) {
            "private address"
        } else if prefix([0xfe80, 0], 10) {
            "link-local address"
        } else if prefix([0xff00, 0], 8) {
            "multicast address"
        } else {
            "reserved address"
        });
    }
    const RANGES: &[([u16; 2], u32, &str)] = &[
        ([0x2001, 0x0000], 23, "IETF protocol assignment"),
        ([0x2001, 0x0db8], 32, "documentation address"),
        ([0x2002, 0x0000], 16, "6to4 address"),
        ([0x3fff, 0x0000], 20, "documentation address"),
    ];
    if s[..3] == [0x2620, 0x4f, 0x8000] {
        return Some("AS112 address");
    }
    RANGES.iter().find(|(net, bits, _)| prefix(*net, *bits)).map(|(_, _, why)| *why)
}

/// True for `localhost` and its subdomains: names that never leave the machine.
fn is_local_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

/// True for `localhost` (and its subdomains) and IP literals in any
/// special-purpose range (see [`address_refusal`]).
pub fn is_private_host(host: &str) -> bool {
    if is_local_name(host) {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| address_refusal(ip).is_some())
}

impl CallbackUrl {
    /// Parses `raw` as the HTTP client will (WHATWG rules, the `url` crate),
    /// so `https://0x7f000001/` is judged as the 127.0.0.1 it connects to.
    /// `allow_private` (`NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS`) lets through
    /// special-purpose addresses, and plain `http://` to anything but a
    /// public address literal (names are checked when resolved at dispatch).
    pub fn parse(raw: &str, allow_private: bool) -> Result<Self, CallbackUrlError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(CallbackUrlError::Empty);
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(CallbackUrlError::NotHttps);
        }
        // Notify's rule (`^https://`), before the WHATWG parser forgives
        // `https:example.com` or `https:///example.com`.
        let lower = raw.to_ascii_lowercase();
        let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
        if rest.is_none_or(|r| r.starts_with(['/', '\\'])) {
            return Err(CallbackUrlError::NotHttps);
        }
        let url = url::Url::parse(raw).map_err(|_| CallbackUrlError::NotHttps)?;
        let http_allowed = allow_private && url.scheme() == "http";
        if url.scheme() != "https" && !http_allowed {
            return Err(CallbackUrlError::NotHttps);
        }
        if url.cannot_be_a_base() || url.password().is_some() || !url.username().is_empty() {
            return Err(CallbackUrlError::NotHttps);
        }
        let special = match url.host() {
            None => return Err(CallbackUrlError::NotHttps),
            Some(url::Host::Domain(name)) => {
                if name.is_empty() || name.contains(['%', '\\', '@']) {
                    return Err(CallbackUrlError::NotHttps);
                }
                is_local_name(name)
            }
            Some(url::Host::Ipv4(ip)) => address_refusal(IpAddr::V4(ip)).is_some(),
            Some(url::Host::Ipv6(ip)) => address_refusal(IpAddr::V6(ip)).is_some(),
        };
        let literal = !matches!(url.host(), Some(url::Host::Domain(_)));
        if special && !allow_private {
            return Err(CallbackUrlError::PrivateAddress);
        }
        if http_allowed && literal && !special {
            // Plain http only ever to this machine or a private network.
            return Err(CallbackUrlError::NotHttps);
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &url::Url {
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
            // The forms issue 9 lists: each is an address the client would
            // really connect to.
            "https://2130706433/",
            "https://0x7f000001/",
            "https://0177.0.0.1/",
            "https://127.1/",
            "https://0/",
            "https://127.0.0.1\\@example.com/",
            "https://[::127.0.0.1]/",
            "https://[::ffff:0:7f00:1]/",
            "https://[64:ff9b::a9fe:a9fe]/",
            "https://224.0.0.1/",
            "https://198.18.0.1/",
            // More of the registries.
            "https://100.64.0.1/",
            "https://192.0.0.8/",
            "https://192.0.2.1/",
            "https://203.0.113.9/",
            "https://255.255.255.255/",
            "https://240.0.0.1/",
            "https://[2001:db8::1]/",
            "https://[2001::1]/",
            "https://[2002:7f00:1::]/",
            "https://[64:ff9b:1::1]/",
            "https://[ff02::1]/",
            "https://[fec0::1]/",
            "https://[100::1]/",
            "https://[::]/",
            "https://[3fff::1]/",
        ] {
            assert_eq!(CallbackUrl::parse(url, false), Err(CallbackUrlError::PrivateAddress), "{url}");
            assert!(CallbackUrl::parse(url, true).is_ok(), "{url} allowed");
        }
    }

    #[test]
    fn malformed_urls_and_credentials_are_refused() {
        for url in [
            "https://[not-an-address]/",
            "https://user@example.com/cb",
            "https://user:pass@example.com/cb",
            "ftp://example.com/",
            "https:example.com",
            "https://exa mple.com/",
            "https://",
            "https:///path",
            "javascript:alert(1)",
        ] {
            assert_eq!(CallbackUrl::parse(url, false), Err(CallbackUrlError::NotHttps), "{url}");
        }
    }

    #[test]
    fn public_addresses_are_accepted() {
        for url in [
            "https://8.8.8.8/cb",
            "https://[2a00:1450:4009:81e::200e]/cb",
            "https://[::ffff:8.8.8.8]/cb",
            "https://[64:ff9b::808:808]/cb",
            "https://example.com:8443/a/b?c=d",
            "https://EXAMPLE.com./cb",
            "https://192.0.0.9.example.com/cb",
        ] {
            assert!(CallbackUrl::parse(url, false).is_ok(), "{url}");
        }
    }

    #[test]
    fn plain_http_only_to_private_addresses_and_only_when_allowed() {
        assert_eq!(CallbackUrl::parse("http://127.0.0.1:9000/cb", false), Err(CallbackUrlError::NotHttps));
        assert!(CallbackUrl::parse("http://127.0.0.1:9000/cb", true).is_ok());
        assert!(CallbackUrl::parse("http://10.0.0.5/cb", true).is_ok());
        assert!(CallbackUrl::parse("http://receiver:8080/cb", true).is_ok(), "a name is checked at dispatch");
        assert_eq!(CallbackUrl::parse("http://8.8.8.8/cb", true), Err(CallbackUrlError::NotHttps));
    }

    #[test]
    fn the_refusal_says_why() {
        assert_eq!(address_refusal("127.0.0.1".parse().unwrap()), Some("loopback address"));
        assert_eq!(address_refusal("10.0.0.1".parse().unwrap()), Some("private address"));
        assert_eq!(address_refusal("::ffff:169.254.1.1".parse().unwrap()), Some("link-local address"));
        assert_eq!(address_refusal("1.1.1.1".parse().unwrap()), None);
    }

    #[test]
    fn a_token_never_prints() {
        assert_eq!(format!("{:?}", BearerToken::parse("supersecret-token").unwrap()), "BearerToken([redacted])");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn parsing_never_panics(s in "\\PC{0,60}") {
            let _ = CallbackUrl::parse(&s, false);
            let _ = BearerToken::parse(&s);
        }

        #[test]
        fn every_loopback_and_private_v4_is_refused_in_every_v6_wrapping(a in 0u8..=255, b in 0u8..=255, c in 0u8..=255) {
            for v4 in [Ipv4Addr::new(127, a, b, c), Ipv4Addr::new(10, a, b, c), Ipv4Addr::new(169, 254, b, c)] {
                let o = v4.octets();
                let low = (u16::from(o[0]) << 8 | u16::from(o[1]), u16::from(o[2]) << 8 | u16::from(o[3]));
                for v6 in [
                    Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, low.0, low.1),
                    Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, low.0, low.1),
                    Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, low.0, low.1),
                    Ipv6Addr::new(0, 0, 0, 0, 0, 0, low.0, low.1),
                    Ipv6Addr::new(0x2002, low.0, low.1, 0, 0, 0, 0, 1),
                ] {
                    prop_assert!(address_refusal(IpAddr::V6(v6)).is_some(), "{v6}");
                }
                prop_assert!(address_refusal(IpAddr::V4(v4)).is_some());
            }
        }

        #[test]
        fn public_https_hosts_are_accepted(host in "[a-z]{1,10}\\.(com|org|gov\\.uk)", path in "[a-z/]{0,10}") {
            let url = format!("https://{host}/{path}");
            prop_assert!(CallbackUrl::parse(&url, false).is_ok());
        }
    }
}
