//! Who a request comes from, as far as the network tells: the TCP peer, or — only when the peer
//! is a proxy the operator named in `TRUSTED_PROXIES` — the client the proxies report in
//! `X-Forwarded-For` or `Forwarded`. Trusting the headers from anyone would let every client
//! pick its own address, and with it its own rate limit.
//!
//! Each proxy adds its peer at the right of the chain (HAProxy's `option forwardfor` as a
//! header line of its own, others appended to the last line), so every line of a header counts,
//! in order, and the chain is read from the right: the right-most hop that is not a trusted
//! proxy is the client, and what lies to its left is that client's own claim. A proxy writes
//! one of the two headers and passes the other on as the client sent it, so when both are
//! present and their chains name different clients, one of them was made up, and nobody can
//! tell which: such requests count as one unknown client ([`UNKNOWN_CLIENT`]), sharing one
//! budget, rather than as whichever address the forger chose — nor as the proxy itself, whose
//! budget its own health checks draw on.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use actix_web::HttpRequest;
use actix_web::http::header::{FORWARDED, HeaderMap, X_FORWARDED_FOR};

/// The address of a request whose proxies' headers contradict each other, or that has no peer.
pub const UNKNOWN_CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

/// One trusted address, or a network of them (`10.0.0.0/8`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(self, address: IpAddr) -> bool {
        match (self.base, address) {
            (IpAddr::V4(base), IpAddr::V4(address)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(base) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(base), IpAddr::V6(address)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(base) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

/// The proxies whose `X-Forwarded-For` is believed; none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

/// An entry of `TRUSTED_PROXIES` that is neither an address nor `address/prefix`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or network (10.0.0.0/8, fd00::/8)")]
pub struct InvalidProxy(String);

impl FromStr for TrustedProxies {
    type Err = InvalidProxy;

    fn from_str(list: &str) -> Result<Self, InvalidProxy> {
        let mut networks = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let invalid = || InvalidProxy(entry.to_owned());
            let (base, prefix) = match entry.split_once('/') {
                Some((base, prefix)) => (base, Some(prefix.parse::<u8>().map_err(|_| invalid())?)),
                None => (entry, None),
            };
            let base: IpAddr = base.parse().map_err(|_| invalid())?;
            let bits = if base.is_ipv4() { 32 } else { 128 };
            let prefix = prefix.unwrap_or(bits);
            if prefix > bits {
                return Err(invalid());
            }
            networks.push(Network { base, prefix });
        }
        Ok(Self(networks))
    }
}

impl TrustedProxies {
    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(address))
    }

    /// The client's address: the peer, unless it is a trusted proxy; then the right-most hop of
    /// `headers`' chain that is not itself a trusted proxy (see the module's documentation).
    #[must_use]
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let forwarded_for = hops(headers, &X_FORWARDED_FOR, |hop| Some(hop));
        let forwarded = hops(headers, &FORWARDED, for_parameter);
        match (forwarded_for, forwarded) {
            (None, None) => peer,
            (Some(chain), None) | (None, Some(chain)) => self.walk(peer, &chain),
            (Some(forwarded_for), Some(forwarded)) => {
                let client = self.walk(peer, &forwarded_for);
                if client == self.walk(peer, &forwarded) { client } else { UNKNOWN_CLIENT }
            }
        }
    }

    /// The right-most hop of `chain` that is not a trusted proxy, starting from `peer`; the last
    /// one read when a hop is not an address (`unknown`, an obfuscated name, garbage), since
    /// nothing to its left can be vouched for.
    fn walk(&self, peer: IpAddr, chain: &[Option<IpAddr>]) -> IpAddr {
        let mut client = peer;
        for hop in chain.iter().rev() {
            let Some(hop) = *hop else { return client };
            client = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        client
    }

    /// [`TrustedProxies::client`] for a request ([`UNKNOWN_CLIENT`] if it has no peer).
    #[must_use]
    pub fn of(&self, req: &HttpRequest) -> IpAddr {
        req.peer_addr().map_or(UNKNOWN_CLIENT, |peer| self.client(peer.ip(), req.headers()))
    }
}

/// Every hop of every `name` line, in order, each as `hop` reads it from its comma-separated
/// element (`None`: not an address); `None` when there is no such header. Bytes that are not
/// text spoil only the hops they are in.
fn hops(
    headers: &HeaderMap,
    name: &actix_web::http::header::HeaderName,
    hop: impl Fn(&str) -> Option<&str>,
) -> Option<Vec<Option<IpAddr>>> {
    let mut lines = headers.get_all(name).peekable();
    lines.peek()?;
    let chain = lines
        .flat_map(|line| {
            String::from_utf8_lossy(line.as_bytes())
                .split(',')
                .map(|element| hop(element).and_then(address))
                .collect::<Vec<_>>()
        })
        .collect();
    Some(chain)
}

/// The `for=` parameter of one element of a `Forwarded` header (RFC 7239), unquoted.
fn for_parameter(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then(|| value.trim().trim_matches('"'))
    })
}

/// A node as proxies write it: `192.0.2.1`, `2001:db8::1`, with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`) or bracketed (`[2001:db8::1]`).
fn address(node: &str) -> Option<IpAddr> {
    let node = node.trim();
    node.parse::<IpAddr>()
        .or_else(|_| node.parse::<SocketAddr>().map(|socket| socket.ip()))
        .or_else(|_| node.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>())
        .ok()
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// Headers with these lines, in this order.
    fn headers(lines: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in lines {
            headers.append(name.parse().unwrap(), HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn xff(value: &str) -> HeaderMap {
        headers(&[("x-forwarded-for", value)])
    }

    #[test]
    fn without_trusted_proxies_the_headers_are_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("203.0.113.9"), &xff("198.51.100.1")), ip("203.0.113.9"));
        let forwarded = headers(&[("forwarded", "for=198.51.100.1")]);
        assert_eq!(none.client(ip("203.0.113.9"), &forwarded), ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client() {
        let proxies: TrustedProxies = "10.0.0.0/8, 127.0.0.1".parse().unwrap();
        let forwarded = xff("6.6.6.6, 198.51.100.7, 10.1.2.3");
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &forwarded),
            ip("198.51.100.7"),
            "6.6.6.6 was the client's own claim"
        );
        assert_eq!(proxies.client(ip("127.0.0.1"), &HeaderMap::new()), ip("127.0.0.1"));
        assert_eq!(proxies.client(ip("127.0.0.1"), &xff("not an address")), ip("127.0.0.1"));
        assert_eq!(
            proxies.client(ip("192.0.2.1"), &forwarded),
            ip("192.0.2.1"),
            "an untrusted peer's header counts for nothing"
        );
    }

    #[test]
    fn every_line_counts_and_the_last_is_the_nearest() {
        let proxies: TrustedProxies = "127.0.0.1".parse().unwrap();
        // HAProxy's `option forwardfor` adds its own line below the one the client sent.
        let lines = headers(&[("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &lines), ip("198.51.100.7"));
        let three = headers(&[
            ("x-forwarded-for", "6.6.6.6, 7.7.7.7"),
            ("x-forwarded-for", "198.51.100.7"),
            ("x-forwarded-for", "127.0.0.1"),
        ]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &three), ip("198.51.100.7"), "trusted hops are passed");
    }

    #[test]
    fn the_standard_headers_for_parameters_are_read_the_same_way() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let peer = ip("10.0.0.2");
        let forwarded =
            |value: &str| headers(&[("forwarded", "for=6.6.6.6;proto=http"), ("forwarded", value)]);
        assert_eq!(proxies.client(peer, &forwarded("for=198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(
            proxies.client(peer, &forwarded(r#"For="[2001:db8:cafe::17]:4711";by=10.0.0.2, for=10.0.0.9"#)),
            ip("2001:db8:cafe::17"),
            "quoted, bracketed, with a port, behind a second trusted proxy"
        );
        assert_eq!(proxies.client(peer, &forwarded("for=198.51.100.7:8080")), ip("198.51.100.7"));
        assert_eq!(
            proxies.client(peer, &forwarded("for=unknown")),
            peer,
            "an unknown hop vouches for nothing"
        );
        assert_eq!(proxies.client(peer, &forwarded("proto=https")), peer, "an element without for=");
    }

    #[test]
    fn two_headers_naming_different_clients_make_one_unknown_client() {
        let proxies: TrustedProxies = "127.0.0.1".parse().unwrap();
        let agreeing = headers(&[("x-forwarded-for", "198.51.100.7"), ("forwarded", "for=198.51.100.7")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &agreeing), ip("198.51.100.7"));
        let forged = headers(&[("x-forwarded-for", "198.51.100.7"), ("forwarded", "for=6.6.6.6")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &forged), UNKNOWN_CLIENT);
    }

    #[test]
    fn a_hop_that_is_not_text_spoils_only_itself() {
        let proxies: TrustedProxies = "127.0.0.1".parse().unwrap();
        let mut lines = HeaderMap::new();
        lines.append(X_FORWARDED_FOR, HeaderValue::from_bytes(b"6.6.6.\xff").unwrap());
        lines.append(X_FORWARDED_FOR, HeaderValue::from_static("198.51.100.7"));
        assert_eq!(proxies.client(ip("127.0.0.1"), &lines), ip("198.51.100.7"));
    }

    #[test]
    fn networks_of_both_families_parse_and_bad_entries_are_refused() {
        let proxies: TrustedProxies = "192.168.0.0/16,fd00::/8,::1".parse().unwrap();
        assert!(
            proxies.trusts(ip("192.168.4.5")) && proxies.trusts(ip("fd12::1")) && proxies.trusts(ip("::1"))
        );
        assert!(!proxies.trusts(ip("192.169.0.1")) && !proxies.trusts(ip("fe80::1")));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x", "::/129"] {
            assert!(bad.parse::<TrustedProxies>().is_err(), "{bad}");
        }
    }
}
