//! Rate limits that fit clients (governor's GCRA, through actix-governor's re-export):
//!
//! - a general budget per *user* on requests with a token that acts — verified, and admitted
//!   as the `Caller` extractor admits it: not revoked, of the account's current generation,
//!   its user known — so that one address behind which many users sit does not share one
//!   budget; and per client address on the others. A revoked token is anyone's to send (it
//!   may have leaked), so it must not spend its user's budget: it counts as its sender's
//!   address, as an anonymous request does;
//! - budgets for signing in: every attempt on `/login` and `/register` draws on its client
//!   address's (five times the per-account figure: several people may share an address), so
//!   that one address cannot try many accounts fast; and `/login`'s *failures* draw on two
//!   budgets of the account tried ([`SignInAttempt`], which the handler settles once the
//!   password is checked): a strict one per account and address, checked before any password
//!   is, and a loose one per account, five times as large. Spending the account's budget does
//!   not refuse anyone by itself — that would let anyone lock an owner out of their account
//!   with wrong guesses —, it makes each further failure spend its address's whole budget for
//!   that account: the guessers are delayed, a correct password from an address that has not
//!   been guessing is always checked;
//! - `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` on every answer, and a JSON
//!   429 with `Retry-After` beyond.
//!
//! Limits are per instance: N instances behind a balancer allow N times the rate.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actix_governor::governor::clock::{Clock, DefaultClock};
use actix_governor::governor::middleware::{StateInformationMiddleware, StateSnapshot};
use actix_governor::governor::state::keyed::DefaultKeyedStateStore;
use actix_governor::governor::{NotUntil, Quota, RateLimiter};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage as _, HttpRequest, ResponseError as _, web};
use domain::session::IssuedToken;
use domain::{EmailAddress, LoginError, UserId};

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

/// Failed sign-ins per minute and burst, per e-mail and client address on `/login` (five times
/// that per e-mail, and attempts per client address on `/login` and `/register`).
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

/// An address's sign-in budget, and an account's failures, in an account-and-address budget.
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
    /// Failures per account and address: the strict one, checked before a password is.
    failures_from: FailureBudget<(String, IpAddr)>,
    /// Failures per account, from everywhere: the loose one, which refuses nobody itself.
    failures_of: FailureBudget<String>,
    proxies: TrustedProxies,
}

/// A budget kept by hand with the same rule as governor's (GCRA), because sign-in failures
/// are known only after an attempt was let through: a failure is charged then, an attempt
/// that did not fail is given back, and an address can be made to wait out a whole budget.
struct FailureBudget<K> {
    /// What one failure costs: the time it takes to be forgiven.
    interval: Duration,
    /// How many may come at once.
    burst: u32,
    /// For each key with failures not yet forgiven, when they all will be.
    forgiven_at: Mutex<HashMap<K, Instant>>,
}

impl<K: Hash + Eq> FailureBudget<K> {
    fn new(per_minute: NonZeroU32, burst: NonZeroU32) -> Self {
        let interval = Duration::from_secs(60) / per_minute.get();
        Self { interval, burst: burst.get(), forgiven_at: Mutex::new(HashMap::new()) }
    }

    /// The state is one instant per key that every critical section leaves consistent.
    fn lock(&self) -> MutexGuard<'_, HashMap<K, Instant>> {
        self.forgiven_at.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How long `key` must wait before it may fail again; `None`: now.
    fn wait(&self, key: &K, now: Instant) -> Option<Duration> {
        let owed = self.lock().get(key)?.saturating_duration_since(now);
        owed.checked_sub(self.interval * (self.burst - 1)).filter(|wait| !wait.is_zero())
    }

    /// One more failure of `key`.
    fn charge(&self, key: K, now: Instant) {
        self.owe(key, now, |owed| owed + self.interval);
    }

    /// `key` must wait out its whole budget, counted from now, before it may fail again.
    fn exhaust(&self, key: K, now: Instant) {
        let whole = self.interval * (self.burst.saturating_mul(2) - 1);
        self.owe(key, now, |owed| owed.max(now + whole));
    }

    /// One failure of `key` forgiven at once: what it was charged for did not fail.
    fn give_back(&self, key: &K, now: Instant) {
        let mut debts = self.lock();
        if let Some(owed) = debts.get_mut(key) {
            *owed = owed.checked_sub(self.interval).unwrap_or(now);
            if *owed <= now {
                debts.remove(key);
            }
        }
    }

    fn owe(&self, key: K, now: Instant, more: impl FnOnce(Instant) -> Instant) {
        let mut debts = self.lock();
        if debts.len() > PRUNE_ABOVE {
            debts.retain(|_, owed| *owed > now);
        }
        let owed = debts.entry(key).or_insert(now);
        *owed = more((*owed).max(now));
    }
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
        let (per_minute, burst) = (nonzero(sign_in.per_minute)?, nonzero(sign_in.burst)?);
        let shared_per_minute = nonzero(sign_in.per_minute.saturating_mul(ADDRESS_SHARE))?;
        let shared_burst = nonzero(sign_in.burst.saturating_mul(ADDRESS_SHARE))?;
        Ok(Self(Some(Arc::new(Budgets {
            general: Budget::new(per_second),
            sign_in_address: Budget::new(Quota::per_minute(shared_per_minute).allow_burst(shared_burst)),
            failures_from: FailureBudget::new(per_minute, burst),
            failures_of: FailureBudget::new(shared_per_minute, shared_burst),
            proxies,
        }))))
    }

    /// A `/login` for `email` from `req`'s client, before its password is checked; settle it
    /// with the outcome.
    ///
    /// # Errors
    /// [`ApiError::RateLimited`] when this address has failed too often on this account.
    pub fn sign_in_attempt(
        &self,
        email: &EmailAddress,
        req: &HttpRequest,
    ) -> Result<SignInAttempt, ApiError> {
        let Some(budgets) = &self.0 else { return Ok(SignInAttempt(None)) };
        let key = (email.as_str().to_owned(), budgets.proxies.of(req));
        let now = Instant::now();
        if let Some(wait) = budgets.failures_from.wait(&key, now) {
            return Err(ApiError::RateLimited { retry_after: seconds(wait) });
        }
        // Held until settled, so that attempts made at once cannot all pass the check.
        budgets.failures_from.charge(key.clone(), now);
        Ok(SignInAttempt(Some((budgets.clone(), key))))
    }
}

/// A sign-in let through to its password check, counted as a failure of its account and
/// address until [`SignInAttempt::settle`] says otherwise.
#[must_use = "settle it with the sign-in's outcome"]
pub struct SignInAttempt(Option<(Arc<Budgets>, (String, IpAddr))>);

impl std::fmt::Debug for SignInAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInAttempt").finish_non_exhaustive()
    }
}

impl SignInAttempt {
    /// Charges a wrong password (or an unknown e-mail) to the account's budget too — and, while
    /// that is spent, this address's whole budget for the account —, gives back anything else,
    /// and passes the outcome on.
    ///
    /// # Errors
    /// `outcome`'s own.
    pub fn settle<T>(self, outcome: Result<T, LoginError>) -> Result<T, LoginError> {
        let Some((budgets, key)) = self.0 else { return outcome };
        let now = Instant::now();
        if matches!(outcome, Err(LoginError::InvalidCredentials)) {
            budgets.failures_of.charge(key.0.clone(), now);
            if budgets.failures_of.wait(&key.0, now).is_some() {
                budgets.failures_from.exhaust(key, now);
            }
        } else {
            budgets.failures_from.give_back(&key, now);
        }
        outcome
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
    fn one_users_budget_is_not_anothers() {
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
    }

    #[test]
    fn a_failure_budget_allows_its_burst_then_one_per_interval() {
        let budget = FailureBudget::new(NonZeroU32::new(60).unwrap(), NonZeroU32::new(3).unwrap());
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(budget.wait(&"ada", now), None);
            budget.charge("ada", now);
        }
        assert_eq!(budget.wait(&"ada", now), Some(Duration::from_secs(1)));
        assert_eq!(budget.wait(&"bob", now), None, "each key has its own");
        assert_eq!(budget.wait(&"ada", now + Duration::from_secs(1)), None, "one forgiven a second");
    }

    #[test]
    fn what_is_given_back_was_never_spent_and_an_exhausted_key_waits_out_its_whole_budget() {
        let budget = FailureBudget::new(NonZeroU32::new(60).unwrap(), NonZeroU32::new(3).unwrap());
        let now = Instant::now();
        for _ in 0..5 {
            budget.charge("ada", now);
            budget.give_back(&"ada", now);
        }
        assert!(budget.lock().is_empty(), "nothing owed, nothing kept");

        budget.exhaust("ada", now);
        assert_eq!(budget.wait(&"ada", now), Some(Duration::from_secs(3)));
        assert_eq!(budget.wait(&"ada", now + Duration::from_secs(3)), None);
    }
}
