//! The client's address, as the sign-in budgets and the security log see
//! it: the connection's peer, or behind a trusted reverse proxy the address
//! the proxy appended to `X-Forwarded-For`.

use crate::Config;
use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

pub fn client_addr(config: &Config, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
    if config.trust_forwarded_for {
        // The last entry is the one our proxy wrote; earlier ones are the
        // client's own say.
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty())
            .and_then(|v| v.parse::<IpAddr>().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|p| p.ip())
}

/// What a client's budget is kept under: an IPv4 address (or one mapped in
/// IPv6), or an IPv6 /64 (one household or server has a whole /64).
pub fn budget_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("client:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("client:{v4}"),
            None => {
                let s = v6.segments();
                format!("client:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(trust: bool) -> Config {
        let trust = trust.to_string();
        Config::from_lookup(|k| (k == "NOTIFY_TRUST_X_FORWARDED_FOR").then(|| trust.clone())).unwrap()
    }

    #[test]
    fn the_proxys_entry_counts_only_when_the_proxy_is_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
        let peer = Some(SocketAddr::from(([10, 0, 0, 2], 443)));
        assert_eq!(client_addr(&config(false), &headers, peer), Some("10.0.0.2".parse().unwrap()));
        assert_eq!(client_addr(&config(true), &headers, peer), Some("203.0.113.9".parse().unwrap()));
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_addr(&config(true), &headers, peer), Some("10.0.0.2".parse().unwrap()));
        assert_eq!(client_addr(&config(true), &HeaderMap::new(), None), None);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(budget_key(a), budget_key(b));
        assert_ne!(budget_key(a), budget_key("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(budget_key("::ffff:192.0.2.1".parse().unwrap()), "client:192.0.2.1");
        assert_eq!(budget_key("192.0.2.1".parse().unwrap()), "client:192.0.2.1");
    }
}
