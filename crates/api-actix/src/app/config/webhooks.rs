//! How webhooks are delivered.

use std::time::Duration;

use super::ConfigError;
use super::vars::Vars;

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
}

impl WebhookConfig {
    pub(super) fn read(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let timeout = vars.positive_millis("WEBHOOK_TIMEOUT_MS", 10_000)?;
        Ok(Self {
            allow_private: vars.parsed("WEBHOOK_ALLOW_PRIVATE_NETWORKS", false)?,
            retry_base: vars.positive_millis("WEBHOOK_RETRY_BASE_MS", 5000)?,
            timeout,
            lease: vars.positive_millis("WEBHOOK_LEASE_MS", timeout.as_millis() + 20_000)?.max(timeout),
        })
    }
}
