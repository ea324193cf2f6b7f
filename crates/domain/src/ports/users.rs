use std::future::Future;

use crate::error::RepoError;
use crate::idempotency::Attempt;
use crate::ids::UserId;
use crate::user::{EmailAddress, NewUser, PasswordHash, RegisterError, SignedIn, User, UserCredentials};

/// Stores accounts, and finds them by e-mail address (login) or id (a token's subject).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Users: Send + Sync + 'static {
    /// Stores a new account.
    ///
    /// With `key`, stores [`Effect::Registered`](crate::idempotency::Effect::Registered) under the
    /// attempt in the change's own transaction; an attempt that no longer holds its key changes
    /// nothing ([`KeyTakenOver`](crate::idempotency::KeyTakenOver)).
    ///
    /// # Errors
    /// - [`RegisterError::EmailTaken`] when another account has the address, compared
    ///   case-insensitively, even when both are registered at the same instant;
    /// - [`RegisterError::Repo`] when the store fails.
    fn create_user(
        &self,
        user: NewUser,
        key: Option<Attempt>,
    ) -> impl Future<Output = Result<User, RegisterError>> + Send;

    /// Finds an account and its password hash by e-mail address.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails; an unknown address is `Ok(None)`.
    fn credentials(
        &self,
        email: EmailAddress,
    ) -> impl Future<Output = Result<Option<UserCredentials>, RepoError>> + Send;

    /// Finds an account and its password hash by id (a signed-in user changing the password).
    ///
    /// # Errors
    /// [`RepoError`] when the store fails; an unknown id is `Ok(None)`.
    fn credentials_of(
        &self,
        id: UserId,
    ) -> impl Future<Output = Result<Option<UserCredentials>, RepoError>> + Send;

    /// Replaces the password hash and moves the user's token generation on, returning the user
    /// with the new generation. Implementations MUST do both in one transaction and announce
    /// the new generation to every open [`crate::ports::RevocationListener`] when it commits:
    /// every token issued before stops acting for the user.
    ///
    /// With `key`, stores [`Effect::PasswordChanged`](crate::idempotency::Effect::PasswordChanged)
    /// under the attempt in the change's own transaction; an attempt that no longer holds its key
    /// changes nothing ([`KeyTakenOver`](crate::idempotency::KeyTakenOver)).
    ///
    /// # Errors
    /// [`RepoError`] when the store fails (nothing changed); an unknown id is `Ok(None)`.
    fn change_password(
        &self,
        id: UserId,
        hash: PasswordHash,
        key: Option<Attempt>,
    ) -> impl Future<Output = Result<Option<SignedIn>, RepoError>> + Send;

    /// Replaces `old` by `new`, an equivalent hash of the same password with today's
    /// parameters; no token is revoked. Implementations MUST leave the row alone when its hash
    /// is no longer `old` (a password change won the race).
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn upgrade_hash(
        &self,
        id: UserId,
        old: PasswordHash,
        new: PasswordHash,
    ) -> impl Future<Output = Result<(), RepoError>> + Send;

    /// Finds an account by id.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails; an unknown id is `Ok(None)`.
    fn find(&self, id: UserId) -> impl Future<Output = Result<Option<User>, RepoError>> + Send;
}
