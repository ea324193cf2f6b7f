use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use domain::ports::{Sessions, Users};
use domain::session::{IssuedToken, Revocation};
use domain::{RepoError, SignedIn, UserId};

use super::{KnownUsers, RevocationRegistry, TokenService};
use crate::http::error::ApiError;

/// How long a user confirmed to exist is trusted without asking the store again. Existence
/// only: the service never deletes users, and revocation is checked on every request apart
/// from it.
const KNOWN_USER_TTL: Duration = Duration::from_secs(60);

/// Turns a token into a session that may act, and issues tokens. Holds its store lookups
/// behind trait objects so that the `Caller` extractor works whatever adapters the app runs on.
pub struct Authenticator {
    tokens: TokenService,
    revocations: Arc<RevocationRegistry>,
    known_users: KnownUsers,
    store: Box<dyn SessionLookup>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").field("tokens", &self.tokens).finish_non_exhaustive()
    }
}

type Lookup<'a> = Pin<Box<dyn Future<Output = Result<bool, RepoError>> + Send + 'a>>;

/// What authentication asks the store, object-safe (the domain's ports return `impl Future`).
trait SessionLookup: Send + Sync + 'static {
    fn exists(&self, id: UserId) -> Lookup<'_>;
    fn admits(&self, token: IssuedToken) -> Lookup<'_>;
}

struct Store<U, S> {
    users: U,
    sessions: S,
}

impl<U: Users, S: Sessions> SessionLookup for Store<U, S> {
    fn exists(&self, id: UserId) -> Lookup<'_> {
        Box::pin(async move { Ok(self.users.find(id).await?.is_some()) })
    }

    fn admits(&self, token: IssuedToken) -> Lookup<'_> {
        Box::pin(self.sessions.admits(token))
    }
}

impl Authenticator {
    /// Checks tokens against `revocations`, the copy the revocation follower (a worker of
    /// `crate::app`) keeps, and asks `sessions` whenever that copy is not current.
    #[must_use]
    pub fn new(
        tokens: TokenService,
        revocations: Arc<RevocationRegistry>,
        users: impl Users,
        sessions: impl Sessions,
    ) -> Self {
        Self {
            tokens,
            revocations,
            known_users: KnownUsers::new(KNOWN_USER_TTL),
            store: Box::new(Store { users, sessions }),
        }
    }

    /// A token for a user who just proved their password.
    ///
    /// # Errors
    /// `ApiError::Internal` if signing fails.
    pub fn issue(&self, signed_in: &SignedIn) -> Result<String, ApiError> {
        self.tokens.issue(signed_in)
    }

    /// What the token says, if it is valid, not revoked, and its user exists. With a current
    /// copy of the revocations this asks the store at most whether the user exists (once a
    /// minute per user); without one, the store answers all of it.
    ///
    /// # Errors
    /// `ApiError::Unauthenticated` for a bad or revoked token or an unknown user; a store
    /// failure as itself.
    pub async fn authenticate(&self, token: &str) -> Result<IssuedToken, ApiError> {
        self.admit(self.tokens.verify(token)?).await
    }

    /// The second half of [`Authenticator::authenticate`], for a token whose signature and
    /// claims were already verified ([`Authenticator::verify`]): not revoked, and its user
    /// exists.
    ///
    /// # Errors
    /// As [`Authenticator::authenticate`].
    pub async fn admit(&self, token: IssuedToken) -> Result<IssuedToken, ApiError> {
        let admitted = match self.revocations.allows(&token) {
            Some(false) => false,
            Some(true) if self.known_users.contains(token.user) => true,
            Some(true) => self.store.exists(token.user).await?,
            None => self.store.admits(token).await?,
        };
        if !admitted {
            return Err(ApiError::Unauthenticated);
        }
        self.known_users.insert(token.user);
        Ok(token)
    }

    /// What a token with a valid signature says, revoked or not: the first half of
    /// [`Authenticator::authenticate`], for a caller that admits it itself (the rate limiter,
    /// which keys on the user only once [`Authenticator::admit`] let the token act).
    ///
    /// # Errors
    /// `ApiError::Unauthenticated` for anything [`TokenService::verify`] refuses.
    pub fn verify(&self, token: &str) -> Result<IssuedToken, ApiError> {
        self.tokens.verify(token)
    }

    /// Applies a revocation this instance just committed, without waiting for its own
    /// listener to hear of it.
    pub fn revoked(&self, fact: Revocation) {
        self.revocations.record(fact);
    }
}
