use std::future::Future;
use std::time::Duration;

use crate::error::RepoError;
use crate::idempotency::{Attempt, Claim, IdempotentRequest};

/// Keys and what answered them (see [`crate::idempotency`]). Storing an effect is not here: the
/// port that makes it stores it in its own transaction, under the attempt it is handed.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Idempotency: Send + Sync + 'static {
    /// Claims the request's key for a new attempt, for at most `lease` without an answer.
    /// Implementations MUST hand a key to one attempt at a time, even to attempts made at the
    /// same instant on different instances; a key whose attempt's lease ran out without an
    /// answer MAY be claimed again (the first attempt's effect, if it comes, is then refused).
    /// A replayed [`crate::idempotency::Effect::WebhookCreated`] MUST carry the secret the
    /// webhook holds now, or none once it is deleted (the key keeps no secret).
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn claim(
        &self,
        request: IdempotentRequest,
        lease: Duration,
    ) -> impl Future<Output = Result<Claim, RepoError>> + Send;

    /// Ends an attempt that stored no effect: with `Some`, its answer (in the inbound
    /// adapter's encoding) is kept for replays as [`crate::idempotency::Recorded::Verbatim`]
    /// (a refusal: nothing changed, and nothing will on a retry); with `None` the key is given
    /// back, so that a retry runs again (a conflict, a rate limit, a failure). Does nothing
    /// when the key is no longer the attempt's, or already answered.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn finish(
        &self,
        attempt: Attempt,
        answer: Option<Vec<u8>>,
    ) -> impl Future<Output = Result<(), RepoError>> + Send;

    /// Deletes keys claimed more than `kept` ago; returns how many. Any number of instances
    /// may run it at once.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn forget_older_than(&self, kept: Duration) -> impl Future<Output = Result<u64, RepoError>> + Send;
}
