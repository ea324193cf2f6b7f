//! The service's settings, read from the environment once at start-up into typed values, one
//! struct per concern. Every error names the variable at fault; `docs/OPERATIONS.md` lists
//! them all.

mod auth;
mod database;
mod http;
mod offers;
mod retention;
mod telemetry;
mod vars;
mod webhooks;

pub use auth::AuthConfig;
pub use database::{BookingBatch, DatabaseConfig};
pub use http::HttpConfig;
pub use offers::OffersConfig;
pub use retention::RetentionConfig;
pub use telemetry::TelemetryConfig;
pub use webhooks::WebhookConfig;

use vars::Vars;

/// Everything the service can be told from outside.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the data lives and how to reach it.
    pub database: DatabaseConfig,
    /// How the service listens, and what it allows each client.
    pub http: HttpConfig,
    /// Tokens and password hashing.
    pub auth: AuthConfig,
    /// Webhook delivery.
    pub webhooks: WebhookConfig,
    /// How long the log, settled deliveries and notifications are kept.
    pub retention: RetentionConfig,
    /// How often lapsed offers are looked for.
    pub offers: OffersConfig,
    /// Logs and metrics.
    pub telemetry: TelemetryConfig,
}

/// A variable that is set but unusable, or missing where it is needed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Set to something unusable.
    #[error("{var} is invalid ({value:?}): {reason}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// What it was set to (`<redacted>` for a secret).
        value: String,
        /// Why it is refused, and what would do.
        reason: String,
    },
    /// Needed, and not set.
    #[error("{var} is required {reason}")]
    Missing {
        /// The variable.
        var: &'static str,
        /// When it is needed.
        reason: &'static str,
    },
}

impl Config {
    /// Reads the process environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first variable that is invalid or missing.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|var| std::env::var(var).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    ///
    /// # Errors
    /// As [`Config::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars::new(&lookup);
        Ok(Self {
            database: DatabaseConfig::read(&vars)?,
            http: HttpConfig::read(&vars)?,
            auth: AuthConfig::read(&vars)?,
            webhooks: WebhookConfig::read(&vars)?,
            retention: RetentionConfig::read(&vars)?,
            offers: OffersConfig::read(&vars)?,
            telemetry: TelemetryConfig::read(&vars)?,
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::HashMap;
    use std::net::IpAddr;
    use std::time::Duration;

    use super::*;
    use crate::http::client_address::TrustedProxies;
    use crate::http::middleware::rate_limit::{RateLimit, SignInLimit};
    use crate::telemetry::logs::LogFormat;

    /// The configuration of exactly these variables.
    pub(in crate::app) fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_lookup(|var| vars.get(var).cloned())
    }

    #[test]
    fn with_nothing_set_the_service_runs_embedded_on_port_3000_of_this_machine_only() {
        let c = config(&[]).unwrap();
        assert!(c.database.url.is_none());
        assert_eq!(c.http.host, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(c.http.port, 3000);
        assert_eq!(c.auth.jwt_ttl, Duration::from_secs(3600));
        assert_eq!(c.http.rate_limit, Some(RateLimit { per_second: 20, burst: 120 }));
        assert_eq!(c.http.sign_in_limit, SignInLimit { per_minute: 30, burst: 10 });
        assert_eq!(c.http.trusted_proxies, TrustedProxies::default());
        assert_eq!(c.telemetry.log_format, LogFormat::Pretty);
    }

    #[test]
    fn a_bad_value_is_reported_with_its_variable() {
        let err = config(&[("PORT", "eighty")]).unwrap_err();
        assert!(err.to_string().starts_with("PORT is invalid"), "{err}");
        let err = config(&[("LOG_FORMAT", "xml")]).unwrap_err();
        assert!(err.to_string().contains("LOG_FORMAT"), "{err}");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let c =
            config(&[("DATABASE_URL", "postgres://u:hunter2@h/d"), ("JWT_SECRET", "top-secret-signing-key")])
                .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("top-secret"), "{shown}");
    }
}
