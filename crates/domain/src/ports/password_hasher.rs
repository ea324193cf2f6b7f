use std::future::Future;

use crate::user::{HashError, Password, PasswordAttempt, PasswordHash};

/// What checking an attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Wrong password, or no such account.
    Refused,
    /// The right password.
    Accepted,
    /// The right password, whose stored hash was made with weaker parameters than today's:
    /// here is a hash of it with today's, to store in its place.
    AcceptedWithNewHash(PasswordHash),
}

/// Turns passwords into slow, salted hashes and checks attempts against them.
///
/// Methods are async because a good hash is deliberately expensive: implementations should run
/// it off the request-serving threads.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait PasswordHasher: Send + Sync + 'static {
    /// Hashes a new password with a fresh salt.
    ///
    /// # Errors
    /// [`HashError`] when the hashing backend fails.
    fn hash(&self, password: Password) -> impl Future<Output = Result<PasswordHash, HashError>> + Send;

    /// Checks an attempt against a stored hash. With `None` (unknown account) it MUST spend
    /// about the same time as a real check and answer [`Verdict::Refused`], so response times
    /// do not reveal which e-mail addresses have accounts. A right password under outdated
    /// parameters is [`Verdict::AcceptedWithNewHash`], so that hashes get stronger as their
    /// owners sign in.
    ///
    /// # Errors
    /// [`HashError`] when the stored hash is unreadable or the backend fails; a wrong password
    /// is `Ok(Verdict::Refused)`.
    fn verify(
        &self,
        attempt: PasswordAttempt,
        hash: Option<PasswordHash>,
    ) -> impl Future<Output = Result<Verdict, HashError>> + Send;
}
