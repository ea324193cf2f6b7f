//! Where a webhook may post. Its host must not resolve to loopback, private, link-local or
//! otherwise internal addresses, or anyone who can register could make the service probe the
//! network it runs in. Checked when the webhook is created (a clear 400) and again for every
//! connection (the client's resolver drops internal addresses), since a name may resolve
//! differently later.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use domain::webhook::{TargetRefused, WebhookUrl};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long resolving a webhook's host may take at creation.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether internal addresses are allowed (`WEBHOOK_ALLOW_PRIVATE_NETWORKS`): for tests and
/// for receivers on the operator's own network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetPolicy {
    /// Internal addresses are allowed too.
    pub allow_private: bool,
}

impl TargetPolicy {
    /// Resolves the URL's host and refuses it when any of its addresses is internal.
    ///
    /// # Errors
    /// [`TargetRefused`] saying why.
    pub async fn check(self, url: &WebhookUrl) -> Result<(), TargetRefused> {
        let parsed = reqwest::Url::parse(url.as_str()).map_err(|_| TargetRefused::Unparsable)?;
        let host = parsed.host_str().ok_or(TargetRefused::Unparsable)?;
        let port = parsed.port_or_known_default().ok_or(TargetRefused::Unparsable)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let addresses: Vec<SocketAddr> =
            match tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port))).await {
                Ok(Ok(addresses)) => addresses.collect(),
                Ok(Err(_)) | Err(_) => return Err(TargetRefused::Unresolvable),
            };
        if addresses.is_empty() {
            return Err(TargetRefused::Unresolvable);
        }
        if self.allow_private || addresses.iter().all(|a| is_public(a.ip())) {
            Ok(())
        } else {
            Err(TargetRefused::Internal)
        }
    }

    /// A literal address in the URL (which bypasses the resolver) that is not allowed.
    ///
    /// # Errors
    /// [`TargetRefused::Internal`] for an internal literal; [`TargetRefused::Unparsable`].
    pub fn check_literal(self, url: &reqwest::Url) -> Result<(), TargetRefused> {
        let host = url.host_str().ok_or(TargetRefused::Unparsable)?;
        let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() else {
            return Ok(());
        };
        if self.allow_private || is_public(ip) { Ok(()) } else { Err(TargetRefused::Internal) }
    }

    /// The HTTP client's resolver under this policy.
    #[must_use]
    pub fn resolver(self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver { policy: self })
    }
}

/// Resolves with the system resolver and keeps only the addresses the policy allows.
#[derive(Debug)]
pub struct GuardedResolver {
    policy: TargetPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.policy.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|a| allow_private || is_public(a.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(TargetRefused::Internal) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Whether deliveries may go to `ip`: a globally routed unicast address. Refused: IPv4's
/// this-network, private, shared (CGNAT), loopback, link-local, IETF protocol, documentation,
/// 6to4-relay, benchmarking, multicast and reserved (240/4, broadcast included) ranges; IPv6
/// outside global unicast (`2000::/3`: loopback, unspecified, unique-local, link-local,
/// site-local `fec0::/10`, multicast, discard `100::/64`, …) and, inside it, the IETF protocol
/// (`2001::/23`), documentation (`2001:db8::/32`, `3fff::/20`) ranges. An IPv6 address that
/// carries an IPv4 one is judged by it, since that is where its packets end up: compatible
/// `::/96`, mapped `::ffff:0:0/96`, translated `::ffff:0:0:0/96`, NAT64 `64:ff9b::/96` (which
/// reaches private IPv4 where a translator is deployed; the local-use `64:ff9b:1::/48` is
/// refused outright), 6to4 `2002::/16`, and Teredo `2001::/32` (its server and its client).
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// Whether `ip` lies in `network/prefix`.
fn within_v4(ip: Ipv4Addr, network: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(network)) & mask
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    const REFUSED: [([u8; 4], u32); 15] = [
        ([0, 0, 0, 0], 8),       // this network
        ([10, 0, 0, 0], 8),      // private
        ([100, 64, 0, 0], 10),   // shared address space (CGNAT)
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local (cloud metadata)
        ([172, 16, 0, 0], 12),   // private
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // documentation
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast
        ([192, 168, 0, 0], 16),  // private
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // documentation
        ([203, 0, 113, 0], 24),  // documentation
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved, and the broadcast address
    ];
    !REFUSED.iter().any(|&(network, prefix)| within_v4(ip, network, prefix))
}

/// The IPv4 address (or, for Teredo, addresses) an IPv6 address carries, if it is one of the
/// forms that reach IPv4.
fn embedded_v4(ip: Ipv6Addr) -> Option<Vec<Ipv4Addr>> {
    let s = ip.segments();
    let v4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    match s {
        // IPv4-compatible (deprecated; `::` and `::1` fall here too, as 0.0.0.0 and 0.0.0.1).
        [0, 0, 0, 0, 0, 0, high, low]
        // IPv4-mapped, and IPv4-translated (SIIT).
        | [0, 0, 0, 0, 0, 0xffff, high, low]
        | [0, 0, 0, 0, 0xffff, 0, high, low]
        // NAT64's well-known prefix.
        | [0x64, 0xff9b, 0, 0, 0, 0, high, low] => Some(vec![v4(high, low)]),
        // 6to4: the IPv4 address follows the prefix.
        [0x2002, high, low, ..] => Some(vec![v4(high, low)]),
        // Teredo: the server's address, then the client's, bit-inverted, at the end.
        [0x2001, 0, server_high, server_low, _, _, client_high, client_low] => {
            Some(vec![v4(server_high, server_low), v4(!client_high, !client_low)])
        }
        _ => None,
    }
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(carried) = embedded_v4(ip) {
        return carried.into_iter().all(is_public_v4);
    }
    let s = ip.segments();
    let global_unicast = s[0] & 0xe000 == 0x2000;
    let ietf_protocol = s[0] == 0x2001 && s[1] < 0x0200; // 2001::/23
    let documentation = (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] == 0x3fff && s[1] < 0x1000); // 2001:db8::/32, 3fff::/20
    global_unicast && !ietf_protocol && !documentation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(internal.parse().unwrap()), "{internal}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    /// The forms that carried an internal IPv4 address past the previous filter, and the
    /// reserved ranges it let through.
    #[test]
    fn ipv6_forms_are_judged_by_the_ipv4_they_carry_and_reserved_ranges_are_refused() {
        for refused in [
            "::127.0.0.1",               // IPv4-compatible loopback
            "::a9fe:a9fe",               // IPv4-compatible 169.254.169.254
            "::ffff:0:a9fe:a9fe",        // IPv4-translated 169.254.169.254
            "64:ff9b::127.0.0.1",        // NAT64 to loopback
            "64:ff9b::10.0.0.1",         // NAT64 to a private network
            "64:ff9b:1::8.8.8.8",        // local-use NAT64
            "2002:7f00:1::",             // 6to4 around 127.0.0.1
            "2002:a00:1::1",             // 6to4 around 10.0.0.1
            "2001:0:7f00:1::",           // Teredo through a loopback server
            "2001:0:808:808::80ff:fffe", // Teredo to the client 127.0.0.1 (inverted)
            "198.18.0.1",                // benchmarking
            "198.19.255.255",
            "240.0.0.1",   // reserved
            "192.0.0.8",   // IETF protocol assignments
            "192.0.2.1",   // documentation
            "192.88.99.1", // 6to4 relay anycast
            "fec0::1",     // site-local
            "100::1",      // discard
            "2001:db8::1", // documentation
            "3fff::1",     // documentation
            "3fff:fff::1",
            "2001:2::1",  // benchmarking
            "2001:10::1", // ORCHID
            "5f00::1",    // SRv6 segment identifiers
            "ff02::1",    // multicast
            "4000::1",    // not global unicast
        ] {
            assert!(!is_public(refused.parse().unwrap()), "{refused}");
        }
        for public in [
            "::8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
            "2001:0:808:808::f7f7:f7f7", // Teredo: server 8.8.8.8, client 8.8.8.8
            "2a00:1450:4001:80b::200e",
            "198.20.0.1",
            "223.255.255.255",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn a_loopback_host_is_refused_unless_private_networks_are_allowed() {
        let url = WebhookUrl::parse("http://localhost:9/hook").unwrap();
        assert_eq!(TargetPolicy { allow_private: false }.check(&url).await, Err(TargetRefused::Internal));
        assert_eq!(TargetPolicy { allow_private: true }.check(&url).await, Ok(()));
        let literal = reqwest::Url::parse("http://[::1]:9/").unwrap();
        assert_eq!(
            TargetPolicy { allow_private: false }.check_literal(&literal),
            Err(TargetRefused::Internal)
        );
    }
}
