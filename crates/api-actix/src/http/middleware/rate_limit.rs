//! Rate limits that fit clients (governor's GCRA, through actix-governor's re-export):
//!
//! - a general budget per *user* on requests with a token that acts — verified, and admitted
//!   as the `Caller` extractor admits it: not revoked, of the account's current generation,
//!   its user known — so that one address behind which many users sit does not share one
//!   budget; and per client address on the others. A revoked token is anyone's to send (it
//!   may have leaked), so it must not spend its user's budget: it counts as its sender's
//!   address, as an anonymous request does;
//! - a stricter budget for signing in and up, per e-mail on `/login` (checked by the handler,
//!   which reads the address), and five times as large per client address on `/login` and
//!   `/register` (several people may share an address): guessing one account's password is
//!   slowed down to the budget, and one address cannot try many accounts fast either;
//! - `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` on every answer, and a JSON
//!   429 with `Retry-After` beyond.
//!
//! Limits are per instance: N instances behind a balancer allow N times the rate.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use actix_governor::governor::clock::{Clock, DefaultClock};
use actix_governor::governor::middleware::{StateInformationMiddleware, StateSnapshot};
use actix_governor::governor::state::keyed::DefaultKeyedStateStore;
use actix_governor::governor::{NotUntil, Quota, RateLimiter};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage as _, ResponseError as _, web};
use domain::session::IssuedToken;
use domain::{EmailAddress, UserId};

use crate::http::auth::{Admitted, Authenticator, bearer_token};
use crate::http::client_address::TrustedProxies;
use crate::http::error::ApiError;

/// Requests per second and burst allowed per user (per client address without a token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// The sustained rate.
    pub per_second: u32,
    /// How many may come at once above it.
    pub burst: u32,
}

/// Sign-in attempts per minute and burst, per client address on `/login` and `/register` and
/// per e-mail on `/login`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimit {
    /// The sustained rate.
    pub per_minute: u32,
    /// How many may come at once above it.
    pub burst: u32,
}

const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// An address's sign-in budget, in accounts' budgets.
const ADDRESS_SHARE: u32 = 5;

/// Beyond this many tracked keys, those whose budget is full again are dropped.
const PRUNE_ABOVE: usize = 100_000;

type Limiter<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// Whose general budget a request draws on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Who {
    User(UserId),
    Address(IpAddr),
}

/// One keyed budget and its quota, for the headers.
struct Budget<K: Hash + Eq + Clone> {
    limiter: Limiter<K>,
    quota: Quota,
}

/// What a check found: room left, or the wait before the next request may pass.
enum Verdict {
    Allowed(StateSnapshot),
    Refused(Duration, Quota),
}

impl<K: Hash + Eq + Clone> Budget<K> {
    fn new(quota: Quota) -> Self {
        Self { limiter: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(), quota }
    }

    fn check(&self, key: &K) -> Verdict {
        if self.limiter.len() > PRUNE_ABOVE {
            self.limiter.retain_recent();
        }
        match self.limiter.check_key(key) {
            Ok(snapshot) => Verdict::Allowed(snapshot),
            Err(not_until) => Verdict::Refused(wait(&not_until), self.quota),
        }
    }
}

fn wait(not_until: &NotUntil<<DefaultClock as Clock>::Instant>) -> Duration {
    not_until.wait_time_from(DefaultClock::default().now())
}

/// Every budget of an instance, shared by its workers; nothing when limiting is off.
#[derive(Clone)]
pub struct RateLimiting(Option<Arc<Budgets>>);

struct Budgets {
    general: Budget<Who>,
    sign_in_address: Budget<IpAddr>,
    sign_in_email: Budget<String>,
    proxies: TrustedProxies,
}

impl std::fmt::Debug for RateLimiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiting").field("enabled", &self.0.is_some()).finish_non_exhaustive()
    }
}

/// A rate the limiter cannot represent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the rate limit must be between 1 and 1000000000 requests per second, with a burst of at least 1")]
pub struct InvalidRateLimit;

impl RateLimiting {
    /// # Errors
    /// [`InvalidRateLimit`] for a rate the limiter cannot represent.
    pub fn new(
        general: Option<RateLimit>,
        sign_in: SignInLimit,
        proxies: TrustedProxies,
    ) -> Result<Self, InvalidRateLimit> {
        let Some(general) = general else { return Ok(Self(None)) };
        let nonzero = |n: u32| NonZeroU32::new(n).ok_or(InvalidRateLimit);
        let per_second = Quota::per_second(nonzero(general.per_second.min(1_000_000_000))?)
            .allow_burst(nonzero(general.burst)?);
        let per_account =
            Quota::per_minute(nonzero(sign_in.per_minute)?).allow_burst(nonzero(sign_in.burst)?);
        let per_address = Quota::per_minute(nonzero(sign_in.per_minute.saturating_mul(ADDRESS_SHARE))?)
            .allow_burst(nonzero(sign_in.burst.saturating_mul(ADDRESS_SHARE))?);
        Ok(Self(Some(Arc::new(Budgets {
            general: Budget::new(per_second),
            sign_in_address: Budget::new(per_address),
            sign_in_email: Budget::new(per_account),
            proxies,
        }))))
    }

    /// The per-e-mail sign-in budget, drawn on by `/login` for the address it was given.
    ///
    /// # Errors
    /// [`ApiError::RateLimited`] when that account has had its share of attempts.
    pub fn sign_in_attempt(&self, email: &EmailAddress) -> Result<(), ApiError> {
        let Some(budgets) = &self.0 else { return Ok(()) };
        match budgets.sign_in_email.check(&email.as_str().to_owned()) {
            Verdict::Allowed(_) => Ok(()),
            Verdict::Refused(wait, _) => Err(ApiError::RateLimited { retry_after: seconds(wait) }),
        }
    }
}

fn seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

fn number(n: u64) -> HeaderValue {
    HeaderValue::from(n)
}

/// The three headers of a budget after a check.
fn describe(headers: &mut HeaderMap, quota: Quota, remaining: u32) {
    let burst = quota.burst_size().get();
    let refill = quota.replenish_interval() * burst.saturating_sub(remaining);
    headers.insert(LIMIT, number(u64::from(burst)));
    headers.insert(REMAINING, number(u64::from(remaining)));
    headers.insert(RESET, number(refill.as_secs() + u64::from(refill.subsec_nanos() > 0)));
}

/// The middleware; see the module's documentation.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(budgets) = req.app_data::<web::Data<RateLimiting>>().and_then(|l| l.0.clone()) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let address = budgets.proxies.of(req.request());
    let admitted = admitted(&req).await;
    if let Some(token) = admitted {
        req.extensions_mut().insert(Admitted(token));
    }
    let who = admitted.map_or(Who::Address(address), |token| Who::User(token.user));
    let snapshot = match budgets.general.check(&who) {
        Verdict::Allowed(snapshot) => snapshot,
        Verdict::Refused(wait, quota) => return Ok(refuse(req, wait, quota)),
    };
    let signs_in = matches!(req.path(), "/login" | "/register");
    if signs_in && let Verdict::Refused(wait, quota) = budgets.sign_in_address.check(&address) {
        return Ok(refuse(req, wait, quota));
    }
    let mut res = next.call(req).await?;
    describe(res.headers_mut(), snapshot.quota(), snapshot.remaining_burst_capacity());
    Ok(res.map_into_left_body())
}

/// The request's token, if it acts: verified and admitted. Anything else — no token, a bad
/// one, a revoked one, or a store that cannot say (the extractor then answers for it) — is
/// `None`.
async fn admitted(req: &ServiceRequest) -> Option<IssuedToken> {
    let auth = req.app_data::<web::Data<Authenticator>>()?;
    let token = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer_token)?;
    auth.admit(auth.verify(token).ok()?).await.ok()
}

fn refuse<B>(req: ServiceRequest, wait: Duration, quota: Quota) -> ServiceResponse<EitherBody<B>> {
    let mut response = ApiError::RateLimited { retry_after: seconds(wait) }.error_response();
    describe(response.headers_mut(), quota, 0);
    req.into_response(response).map_into_right_body()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headers_say_the_burst_what_is_left_and_when_it_is_full_again() {
        let quota = Quota::per_second(NonZeroU32::new(10).unwrap()).allow_burst(NonZeroU32::new(40).unwrap());
        let mut headers = HeaderMap::new();
        describe(&mut headers, quota, 30);
        assert_eq!(headers.get(LIMIT).unwrap(), "40");
        assert_eq!(headers.get(REMAINING).unwrap(), "30");
        assert_eq!(headers.get(RESET).unwrap(), "1", "ten spent at ten a second");
    }

    #[test]
    fn one_users_budget_is_not_anothers_and_the_email_budget_is_its_own() {
        let limits = RateLimiting::new(
            Some(RateLimit { per_second: 1, burst: 2 }),
            SignInLimit { per_minute: 1, burst: 1 },
            TrustedProxies::default(),
        )
        .unwrap();
        let budgets = limits.0.clone().unwrap();
        let (ada, bob) = (Who::User(UserId::new(1).unwrap()), Who::User(UserId::new(2).unwrap()));
        assert!(matches!(budgets.general.check(&ada), Verdict::Allowed(_)));
        assert!(matches!(budgets.general.check(&ada), Verdict::Allowed(_)));
        assert!(matches!(budgets.general.check(&ada), Verdict::Refused(..)));
        assert!(matches!(budgets.general.check(&bob), Verdict::Allowed(_)));
        let email = EmailAddress::parse("ada@example.com").unwrap();
        assert!(limits.sign_in_attempt(&email).is_ok());
        assert!(matches!(limits.sign_in_attempt(&email), Err(ApiError::RateLimited { .. })));
        assert!(limits.sign_in_attempt(&EmailAddress::parse("bob@example.com").unwrap()).is_ok());
    }
}
