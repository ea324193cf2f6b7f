//! Per-client-IP rate limiting (actix-governor), answering 429 in the service's JSON error
//! shape with `Retry-After`. Limits are per instance: N instances behind a balancer allow N
//! times the rate.

use std::net::{IpAddr, Ipv4Addr};

use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{Governor, GovernorConfig, GovernorConfigBuilder, KeyExtractor};
use actix_web::dev::ServiceRequest;
use actix_web::middleware::Condition;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError as _};

use crate::config::RateLimit;
use crate::error::ApiError;

/// Keys on the TCP peer's address. Behind a proxy that is the proxy; trusting a forwarded
/// header instead would let any client pick its own key.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp;

impl KeyExtractor for ClientIp {
    type Key = IpAddr;
    type KeyExtractionError = ApiError;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, ApiError> {
        Ok(req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |addr| addr.ip()))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        _: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative.wait_time_from(DefaultClock::default().now());
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError::RateLimited { retry_after: seconds.max(1) }.error_response()
    }
}

/// One limiter shared by every worker thread.
type Limiter = GovernorConfig<ClientIp, NoOpMiddleware<QuantaInstant>>;

/// A rate the limiter cannot represent (zero, or faster than one request per nanosecond).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the rate limit must be between 1 and 1000000000 requests per second, with a burst of at least 1")]
pub struct InvalidRateLimit;

/// The limiter state shared by all workers, or nothing when limiting is off.
#[derive(Clone)]
pub struct RateLimiting {
    enabled: bool,
    config: Limiter,
}

impl std::fmt::Debug for RateLimiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiting").field("enabled", &self.enabled).finish_non_exhaustive()
    }
}

impl RateLimiting {
    /// # Errors
    /// [`InvalidRateLimit`] for a rate the limiter cannot represent.
    pub fn new(limit: Option<RateLimit>) -> Result<Self, InvalidRateLimit> {
        // When off, the middleware is never consulted (see `middleware`), but still needs a value.
        let RateLimit { per_second, burst } = limit.unwrap_or(RateLimit { per_second: 1, burst: 1 });
        let config = GovernorConfigBuilder::default()
            .requests_per_second(u64::from(per_second.clamp(1, 1_000_000_000)))
            .burst_size(burst)
            .key_extractor(ClientIp)
            .finish()
            .ok_or(InvalidRateLimit)?;
        Ok(Self { enabled: limit.is_some(), config })
    }

    /// The middleware for one worker; a pass-through when limiting is off, so load tests pay
    /// nothing for it.
    #[must_use]
    pub fn middleware(&self) -> Condition<Governor<ClientIp, NoOpMiddleware<QuantaInstant>>> {
        Condition::new(self.enabled, Governor::new(&self.config))
    }
}
