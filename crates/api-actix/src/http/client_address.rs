//! Who a request comes from, as far as the network tells: the TCP peer, or — only when the peer
//! is a proxy the operator named in `TRUSTED_PROXIES` — the client that proxy reports in
//! `X-Forwarded-For`. Trusting the header from anyone would let every client pick its own
//! address, and with it its own rate limit.

use std::net::IpAddr;
use std::str::FromStr;

use actix_web::dev::ServiceRequest;

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

    /// The client's address: the peer, unless it is a trusted proxy; then the right-most
    /// `X-Forwarded-For` hop that is not itself a trusted proxy (the hops to its left were
    /// written by the client and cannot be believed).
    #[must_use]
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_for.unwrap_or_default().rsplit(',') {
            let Ok(hop) = hop.trim().parse::<IpAddr>() else { return client };
            client = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        client
    }

    /// [`TrustedProxies::client`] for a request (the unspecified address if it has no peer).
    #[must_use]
    pub fn of(&self, req: &ServiceRequest) -> IpAddr {
        let peer = req.peer_addr().map_or(IpAddr::from([0, 0, 0, 0]), |addr| addr.ip());
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        self.client(peer, forwarded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("203.0.113.9"), Some("198.51.100.1")), ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client() {
        let proxies: TrustedProxies = "10.0.0.0/8, 127.0.0.1".parse().unwrap();
        let forwarded = Some("6.6.6.6, 198.51.100.7, 10.1.2.3");
        assert_eq!(
            proxies.client(ip("127.0.0.1"), forwarded),
            ip("198.51.100.7"),
            "6.6.6.6 was the client's own claim"
        );
        assert_eq!(proxies.client(ip("127.0.0.1"), None), ip("127.0.0.1"));
        assert_eq!(proxies.client(ip("127.0.0.1"), Some("not an address")), ip("127.0.0.1"));
        assert_eq!(
            proxies.client(ip("192.0.2.1"), forwarded),
            ip("192.0.2.1"),
            "an untrusted peer's header counts for nothing"
        );
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
