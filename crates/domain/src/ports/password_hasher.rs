use std::future::Future;

use crate::user::{HashError, Password, PasswordAttempt, PasswordHash};

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
    /// about the same time as a real check and answer `false`, so response times do not reveal
    /// which e-mail addresses have accounts.
    ///
    /// # Errors
    /// [`HashError`] when the stored hash is unreadable or the backend fails; a wrong password
    /// is `Ok(false)`.
    fn verify(
        &self,
        attempt: PasswordAttempt,
        hash: Option<PasswordHash>,
    ) -> impl Future<Output = Result<bool, HashError>> + Send;
}
