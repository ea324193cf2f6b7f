//! Accounts: who may log in, and as whom a request acts.

mod email;
mod password;

pub use email::{EmailAddress, EmailError};
pub use password::{HashError, Password, PasswordAttempt, PasswordError, PasswordHash};

use crate::error::RepoError;
use crate::ids::UserId;
use crate::session::TokenGeneration;
use crate::text::NonEmptyText;

/// A registered user, without credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: EmailAddress,
    pub first_name: NonEmptyText,
    pub last_name: NonEmptyText,
}

/// A user together with the hash their password must match, and the generation the tokens
/// issued to them now belong to; only signing in needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: PasswordHash,
    pub token_generation: TokenGeneration,
}

/// A user who proved their password: what a token is issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user: User,
    pub token_generation: TokenGeneration,
}

/// A sign-up as the client sent it, password still in plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub email: EmailAddress,
    pub password: Password,
    pub first_name: NonEmptyText,
    pub last_name: NonEmptyText,
}

/// A user ready to be stored: the password is already hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: EmailAddress,
    pub password_hash: PasswordHash,
    pub first_name: NonEmptyText,
    pub last_name: NonEmptyText,
}

/// Why a user could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// Another account has this address (compared case-insensitively).
    #[error("the e-mail address already has an account")]
    EmailTaken,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Why a password was not changed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    /// The current password given is not the account's.
    #[error("the current password is not right")]
    WrongPassword,
    /// The new password breaks the policy.
    #[error(transparent)]
    Weak(PasswordError),
    /// The token names an account that does not exist (any more).
    #[error("the account does not exist")]
    UnknownUser,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Why a login failed. Unknown address and wrong password are one variant on purpose: telling
/// them apart would let anyone find out who has an account.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("unknown e-mail address or wrong password")]
    InvalidCredentials,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Repo(#[from] RepoError),
}
