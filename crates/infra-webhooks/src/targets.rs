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

/// Not loopback, private, link-local, shared (CGNAT), unspecified, broadcast, multicast or
/// documentation space; IPv4-mapped IPv6 judged as the IPv4 address it maps.
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or_else(|| is_public_v6(v6), is_public_v4),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    let shared = a == 100 && (64..128).contains(&b);
    let this_network = a == 0;
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || shared
        || this_network)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let unique_local = (first & 0xfe00) == 0xfc00;
    let link_local = (first & 0xffc0) == 0xfe80;
    !(ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() || unique_local || link_local)
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
