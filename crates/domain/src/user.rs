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
    /// Names the user in tokens and bookings.
    pub id: UserId,
    /// Unique per account, compared as normalised.
    pub email: EmailAddress,
    /// As given.
    pub first_name: NonEmptyText,
    /// As given.
    pub last_name: NonEmptyText,
}

/// A user together with the hash their password must match, and the generation the tokens
/// issued to them now belong to; only signing in needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCredentials {
    /// The account.
    pub user: User,
    /// What the password must match.
    pub password_hash: PasswordHash,
    /// Tokens of older generations no longer act.
    pub token_generation: TokenGeneration,
}

/// A user who proved their password: what a token is issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The account.
    pub user: User,
    /// The generation a new token gets.
    pub token_generation: TokenGeneration,
}

/// A sign-up as the client sent it, password still in plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The address to sign in with.
    pub email: EmailAddress,
    /// The password, checked against the rules; only its hash is stored.
    pub password: Password,
    /// As given.
    pub first_name: NonEmptyText,
    /// As given.
    pub last_name: NonEmptyText,
}

/// A user ready to be stored: the password is already hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The address to sign in with.
    pub email: EmailAddress,
    /// The password's hash.
    pub password_hash: PasswordHash,
    /// As given.
    pub first_name: NonEmptyText,
    /// As given.
    pub last_name: NonEmptyText,
}

/// Why a user could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// Another account has this address (compared case-insensitively).
    #[error("the e-mail address already has an account")]
    EmailTaken,
    #[error(transparent)]
    /// The password could not be hashed.
    Hash(#[from] HashError),
    #[error(transparent)]
    /// The store failed.
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
    /// The password could not be hashed or checked.
    Hash(#[from] HashError),
    #[error(transparent)]
    /// The store failed.
    Repo(#[from] RepoError),
}

/// Why a login failed. Unknown address and wrong password are one variant on purpose: telling
/// them apart would let anyone find out who has an account.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("unknown e-mail address or wrong password")]
    /// Unknown address or wrong password: one answer, so that nobody learns which addresses have
    /// accounts.
    InvalidCredentials,
    #[error(transparent)]
    /// The password could not be checked.
    Hash(#[from] HashError),
    #[error(transparent)]
    /// The store failed.
    Repo(#[from] RepoError),
}
