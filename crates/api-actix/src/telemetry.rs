//! What the service tells its operators: log lines ([`logs`]) and Prometheus metrics
//! ([`metrics`]), for the HTTP layer and the workers alike.

pub mod logs;
pub mod metrics;
