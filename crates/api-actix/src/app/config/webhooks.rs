//! How webhooks are delivered.

use std::time::Duration;

use domain::webhook::WebhookCap;

use super::ConfigError;
use super::vars::{Vars, invalid};

/// The webhook settings.
#[derive(Debug, Clone, Copy)]
pub struct WebhookConfig {
    /// `WEBHOOK_ALLOW_PRIVATE_NETWORKS`: let webhooks post to loopback, private and link-local
    /// addresses; default `false`.
    pub allow_private: bool,
    /// `WEBHOOK_RETRY_BASE_MS`: the first retry's delay, doubling after; default 5000.
    pub retry_base: Duration,
    /// `WEBHOOK_TIMEOUT_MS`: how long a receiver has to answer; default 10000.
    pub timeout: Duration,
    /// `WEBHOOK_LEASE_MS`: how long a claimed delivery is held before another instance may take
    /// it; default the timeout plus 20 s, and never below the timeout.
    pub lease: Duration,
    /// `WEBHOOKS_PER_USER`: the most webhooks one organizer may have; default 20, at least 1.
    pub per_user: WebhookCap,
}

impl WebhookConfig {
    pub(super) fn read(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let timeout = vars.positive_millis("WEBHOOK_TIMEOUT_MS", 10_000)?;
        Ok(Self {
            allow_private: vars.parsed("WEBHOOK_ALLOW_PRIVATE_NETWORKS", false)?,
            retry_base: vars.positive_millis("WEBHOOK_RETRY_BASE_MS", 5000)?,
            timeout,
            lease: vars.positive_millis("WEBHOOK_LEASE_MS", timeout.as_millis() + 20_000)?.max(timeout),
            per_user: {
                let most = vars.at_least_one("WEBHOOKS_PER_USER", 20)?;
                u32::try_from(most).ok().and_then(WebhookCap::new).ok_or_else(|| {
                    invalid("WEBHOOKS_PER_USER", &most.to_string(), "must be at most 4294967295")
                })?
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::app::config::tests::config;

    #[test]
    fn an_organizer_may_have_twenty_webhooks_unless_told_otherwise() {
        assert_eq!(config(&[]).unwrap().webhooks.per_user.get(), 20);
        assert_eq!(config(&[("WEBHOOKS_PER_USER", "3")]).unwrap().webhooks.per_user.get(), 3);
        let err = config(&[("WEBHOOKS_PER_USER", "0")]).unwrap_err();
        assert!(err.to_string().starts_with("WEBHOOKS_PER_USER is invalid"), "{err}");
    }
}
