//! What the service tells its operators, and who may read it.

use std::net::SocketAddr;

use super::ConfigError;
use super::vars::{Vars, invalid};
use crate::secret::Secret;
use crate::telemetry::logs::LogFormat;

/// The logging and metrics settings.
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// `LOG_FORMAT`: `pretty` (default) or `json`.
    pub log_format: LogFormat,
    /// `METRICS_TOKEN`: when set, `/metrics` answers only requests carrying it as a bearer
    /// token (the figures tell an outsider the traffic and the booking rate).
    pub metrics_token: Option<Secret>,
    /// `METRICS_ADDR` (`host:port`): serve `/metrics` on this address only (an internal
    /// interface, say), not on the service's.
    pub metrics_addr: Option<SocketAddr>,
}

impl TelemetryConfig {
    pub(super) fn read(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            log_format: match vars.get("LOG_FORMAT").as_deref() {
                None | Some("pretty") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(other) => return Err(invalid("LOG_FORMAT", other, "expected pretty or json")),
            },
            metrics_token: vars.secret("METRICS_TOKEN"),
            metrics_addr: vars
                .get("METRICS_ADDR")
                .map(|addr| {
                    addr.parse().map_err(|_| {
                        invalid("METRICS_ADDR", &addr, "expected host:port, e.g. 127.0.0.1:9100")
                    })
                })
                .transpose()?,
        })
    }
}
