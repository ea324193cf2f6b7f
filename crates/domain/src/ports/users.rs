use std::future::Future;

use crate::error::RepoError;
use crate::ids::UserId;
use crate::user::{EmailAddress, NewUser, RegisterError, User, UserCredentials};

/// Stores accounts, and finds them by e-mail address (login) or id (a token's subject).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Users: Send + Sync + 'static {
    /// Stores a new account.
    ///
    /// # Errors
    /// - [`RegisterError::EmailTaken`] when another account has the address, compared
    ///   case-insensitively, even when both are registered at the same instant;
    /// - [`RegisterError::Repo`] when the store fails.
    fn create_user(&self, user: NewUser) -> impl Future<Output = Result<User, RegisterError>> + Send;

    /// Finds an account and its password hash by e-mail address.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails; an unknown address is `Ok(None)`.
    fn credentials(
        &self,
        email: EmailAddress,
    ) -> impl Future<Output = Result<Option<UserCredentials>, RepoError>> + Send;

    /// Finds an account by id.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails; an unknown id is `Ok(None)`.
    fn find(&self, id: UserId) -> impl Future<Output = Result<Option<User>, RepoError>> + Send;
}
