use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use domain::ports::Users;
use domain::{RepoError, User, UserId};

use super::{KnownUsers, TokenService};
use crate::error::ApiError;

/// How long a user confirmed to exist is trusted without asking the store again.
const KNOWN_USER_TTL: Duration = Duration::from_secs(60);

/// Turns a token into a user who exists, and issues tokens. Holds its user lookup behind a
/// trait object so that the `Caller` extractor works whatever adapters the app runs on.
pub struct Authenticator {
    tokens: TokenService,
    known_users: KnownUsers,
    users: Box<dyn UserLookup>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").field("tokens", &self.tokens).finish_non_exhaustive()
    }
}

/// "Does this user exist?", object-safe (the domain's ports return `impl Future`).
trait UserLookup: Send + Sync + 'static {
    fn exists(&self, id: UserId) -> Pin<Box<dyn Future<Output = Result<bool, RepoError>> + Send + '_>>;
}

impl<U: Users> UserLookup for U {
    fn exists(&self, id: UserId) -> Pin<Box<dyn Future<Output = Result<bool, RepoError>> + Send + '_>> {
        Box::pin(async move { Ok(self.find(id).await?.is_some()) })
    }
}

impl Authenticator {
    #[must_use]
    pub fn new(tokens: TokenService, users: impl Users) -> Self {
        Self { tokens, known_users: KnownUsers::new(KNOWN_USER_TTL), users: Box::new(users) }
    }

    /// A token for `user`.
    ///
    /// # Errors
    /// [`ApiError::Internal`] if signing fails.
    pub fn issue(&self, user: &User) -> Result<String, ApiError> {
        self.tokens.issue(user)
    }

    /// The user a token names, if the token is valid and the user exists (asked of the store,
    /// or seen there within [`KNOWN_USER_TTL`]).
    ///
    /// # Errors
    /// [`ApiError::Unauthenticated`] for a bad token or an unknown user; a store failure as
    /// itself.
    pub async fn authenticate(&self, token: &str) -> Result<UserId, ApiError> {
        let user = self.tokens.verify(token)?;
        if self.known_users.contains(user) {
            return Ok(user);
        }
        if self.users.exists(user).await? {
            self.known_users.insert(user);
            Ok(user)
        } else {
            Err(ApiError::Unauthenticated)
        }
    }
}
