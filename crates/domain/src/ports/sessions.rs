use std::future::Future;

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::idempotency::Attempt;
use crate::session::{IssuedToken, Revocation};

/// The revocations every instance must honour. Writers record them in the store; each
/// instance loads them once and then follows a [`RevocationListener`], so checking a token
/// costs no round trip. [`Sessions::admits`] is the store's own answer, for an instance whose
/// listener is not following (starting up, or reconnecting after losing its store).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock(type Listener = MockRevocationListener;))]
pub trait Sessions: Send + Sync + 'static {
    /// Hears of revocations as they commit.
    type Listener: RevocationListener;

    /// Revokes one token (a logout) until `expires_at`. Revoking it again is not an error.
    /// Implementations MUST announce the revocation to every open listener when, and only
    /// when, it commits.
    ///
    /// With `key`, stores [`Effect::LoggedOut`](crate::idempotency::Effect::LoggedOut) under the
    /// attempt in the change's own transaction; an attempt that no longer holds its key changes
    /// nothing ([`KeyTakenOver`](crate::idempotency::KeyTakenOver)).
    ///
    /// # Errors
    /// [`RepoError`] when the store fails; nothing is revoked then.
    fn revoke(
        &self,
        token: IssuedToken,
        key: Option<Attempt>,
    ) -> impl Future<Output = Result<(), RepoError>> + Send;

    /// Every revocation that may still refuse a token: revoked tokens expiring after now, and
    /// password changes after `changed_since`.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn revocations(
        &self,
        changed_since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Revocation>, RepoError>> + Send;

    /// Whether `token` may act, asked of the store: its user exists, it is not revoked, and
    /// it is of its user's current generation. The same rule as
    /// [`crate::session::Revocations::allows`], for when no loaded copy can be trusted.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn admits(&self, token: IssuedToken) -> impl Future<Output = Result<bool, RepoError>> + Send;

    /// Opens a listener: from when this returns, every revocation that commits reaches it.
    ///
    /// # Errors
    /// [`RepoError`] when the store cannot be reached.
    fn listen(&self) -> impl Future<Output = Result<Self::Listener, RepoError>> + Send;

    /// Deletes revoked tokens that have expired (they can refuse nothing any more); returns
    /// how many. Any number of instances may run it at once.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn forget_expired(&self) -> impl Future<Output = Result<u64, RepoError>> + Send;
}

/// Revocations as they commit anywhere (a held connection, for PostgreSQL).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait RevocationListener: Send + 'static {
    /// The next revocation to commit.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] when the listener lost its store: revocations may have been
    /// missed, so the holder stops trusting what it loaded until it has listened and loaded
    /// again.
    fn next(&mut self) -> impl Future<Output = Result<Revocation, RepoError>> + Send;
}
