//! How webhooks are delivered.

use std::time::Duration;

use domain::webhook::{BreakerPolicy, RetryPolicy, WebhookCap};

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
    /// `WEBHOOK_BREAKER_FAILURES` (default 5, at least 1), `WEBHOOK_BREAKER_PAUSE_MS` (default
    /// 60000) and `WEBHOOK_BREAKER_MAX_PAUSE_MS` (default 3600000, never below the pause): after
    /// that many failed attempts in a row a webhook's deliveries are held back for the pause,
    /// doubling while its probes fail, up to the longest.
    pub breaker: BreakerPolicy,
}

impl WebhookConfig {
    pub(super) fn read(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let timeout = vars.positive_millis("WEBHOOK_TIMEOUT_MS", 10_000)?;
        let retry_base = vars.positive_millis("WEBHOOK_RETRY_BASE_MS", 5000)?;
        Ok(Self {
            allow_private: vars.parsed("WEBHOOK_ALLOW_PRIVATE_NETWORKS", false)?,
            retry_base,
            timeout,
            lease: vars.positive_millis("WEBHOOK_LEASE_MS", timeout.as_millis() + 20_000)?.max(timeout),
            breaker: {
                let pause = vars.positive_millis("WEBHOOK_BREAKER_PAUSE_MS", 60_000)?;
                let failures = vars.at_least_one("WEBHOOK_BREAKER_FAILURES", 5)?;
                BreakerPolicy {
                    failures: u32::try_from(failures).map_err(|_| {
                        invalid(
                            "WEBHOOK_BREAKER_FAILURES",
                            &failures.to_string(),
                            "must be at most 4294967295",
                        )
                    })?,
                    pause,
                    max_pause: vars.positive_millis("WEBHOOK_BREAKER_MAX_PAUSE_MS", 3_600_000)?.max(pause),
                    give_up_after: RetryPolicy::with_base(retry_base).keep_trying_for,
                }
            },
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
    fn a_webhook_is_paused_after_five_failures_for_a_minute_doubling_to_an_hour() {
        let breaker = config(&[]).unwrap().webhooks.breaker;
        assert_eq!(breaker.failures, 5);
        assert_eq!((breaker.pause.as_secs(), breaker.max_pause.as_secs()), (60, 3600));
        assert_eq!(breaker.give_up_after.as_secs(), 86_400, "the retry window");
        let short = config(&[("WEBHOOK_BREAKER_PAUSE_MS", "5000"), ("WEBHOOK_BREAKER_MAX_PAUSE_MS", "1000")]);
        assert_eq!(short.unwrap().webhooks.breaker.max_pause.as_millis(), 5000, "never below the pause");
        assert!(config(&[("WEBHOOK_BREAKER_FAILURES", "0")]).is_err());
    }

    #[test]
    fn an_organizer_may_have_twenty_webhooks_unless_told_otherwise() {
        assert_eq!(config(&[]).unwrap().webhooks.per_user.get(), 20);
        assert_eq!(config(&[("WEBHOOKS_PER_USER", "3")]).unwrap().webhooks.per_user.get(), 3);
        let err = config(&[("WEBHOOKS_PER_USER", "0")]).unwrap_err();
        assert!(err.to_string().starts_with("WEBHOOKS_PER_USER is invalid"), "{err}");
    }
}
