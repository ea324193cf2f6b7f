//! Safe retries: a write sent with an `Idempotency-Key` takes effect once, however often it is
//! sent, and every repeat gets the first answer.
//!
//! The first request *claims* its key ([`crate::ports::Idempotency::claim`]); the adapter then
//! stores the answer to the request's effect in the effect's own transaction (so a crash can
//! never leave an effect without its answer, or an answer without its effect), through the
//! [`IdempotencyScope`] the caller runs the request in. A request that turns out to have no
//! effect (a refusal) has its answer stored after it; one whose answer must not be replayed
//! (a conflict, a rate limit, a server error) gives its claim back, so a retry runs again.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::booking::{BookingOutcome, Cancellation};
use crate::error::BoxError;
use crate::event::{Event, EventCancellation, EventChange};
use crate::ids::UserId;
use crate::user::{SignedIn, User};
use crate::webhook::{Webhook, WebhookSecret};

/// What the client sent in `Idempotency-Key`: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// A key that is empty, too long, or holds other than visible ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an idempotency key is 1 to {max} visible ASCII characters", max = IdempotencyKey::MAX_LEN)]
pub struct InvalidIdempotencyKey;

impl IdempotencyKey {
    /// The longest key accepted, in bytes.
    pub const MAX_LEN: usize = 255;

    /// # Errors
    /// [`InvalidIdempotencyKey`] unless 1 to [`Self::MAX_LEN`] characters from `!` to `~`.
    pub fn parse(raw: &str) -> Result<Self, InvalidIdempotencyKey> {
        let valid =
            !raw.is_empty() && raw.len() <= Self::MAX_LEN && raw.bytes().all(|b| b.is_ascii_graphic());
        if valid { Ok(Self(raw.to_owned())) } else { Err(InvalidIdempotencyKey) }
    }

    #[must_use]
    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whose keys these are: a signed-in user's, or, for public endpoints, a client address's. Two
/// requesters never share a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requester(String);

impl Requester {
    #[must_use]
    /// A signed-in user's keys.
    pub fn user(id: UserId) -> Self {
        Self(format!("user:{id}"))
    }

    /// A client address as the HTTP layer determined it (text, so that no network type leaks
    /// into the domain).
    #[must_use]
    pub fn address(address: &str) -> Self {
        Self(format!("address:{address}"))
    }

    #[must_use]
    /// As stored beside the key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A digest of what the request asks (method, path, body): a key sent again with another
/// request is a client bug, refused rather than answered with the first request's answer.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    #[must_use]
    /// Wraps a digest the inbound adapter computed (SHA-256 of the request).
    pub const fn new(digest: [u8; 32]) -> Self {
        Self(digest)
    }

    #[must_use]
    /// The digest.
    pub const fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex: String = self.0.iter().take(6).map(|b| format!("{b:02x}")).collect();
        write!(f, "Fingerprint({hex}…)")
    }
}

/// A request that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentRequest {
    /// Whose key it is.
    pub requester: Requester,
    /// The key.
    pub key: IdempotencyKey,
    /// What the request asks, to refuse a key reused for another request.
    pub fingerprint: Fingerprint,
}

/// One attempt at a claimed key; `id` tells it apart from a later attempt that took the key
/// over after this one's lease ran out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Whose key it is.
    pub requester: Requester,
    /// The key.
    pub key: IdempotencyKey,
    /// 128 random bits.
    pub id: u128,
}

/// An answer as it is stored and replayed: the status and the body (JSON, or empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The body as sent (JSON, or empty).
    pub body: Vec<u8>,
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Nobody had it (or an earlier attempt's lease ran out without an answer): go ahead.
    Fresh(Attempt),
    /// The key was answered: send this again, change nothing.
    Replay(StoredAnswer),
    /// The key was used for another request (method, path or body).
    Reused,
    /// An attempt with this key is still running.
    InFlight,
}

/// A committed effect a request may be answered with, as the adapter holds it just before its
/// transaction commits.
#[derive(Debug, Clone, Copy)]
pub enum Effect<'a> {
    /// A booking made.
    Booked(&'a BookingOutcome),
    /// A booking cancelled.
    Cancelled(&'a Cancellation),
    /// An event created.
    EventCreated(&'a Event),
    /// An event changed.
    EventChanged(&'a EventChange),
    /// An event called off.
    EventCalledOff(&'a EventCancellation),
    /// An account registered.
    Registered(&'a User),
    /// A password changed.
    PasswordChanged(&'a SignedIn),
    /// A token revoked.
    LoggedOut,
    /// A webhook created, with the secret shown once.
    WebhookCreated(&'a Webhook, &'a WebhookSecret),
}

/// Turns an effect into the answer its request gets: the HTTP layer's rendering, called by the
/// adapter inside the effect's transaction.
pub trait Answerer: Send + Sync {
    /// # Errors
    /// When the effect cannot be rendered (a bug): the adapter rolls the effect back.
    fn answer(&self, effect: Effect<'_>) -> Result<StoredAnswer, BoxError>;
}

/// The claimed attempt a request runs under, and how to answer its effect. An adapter that
/// finds one in force while it writes an effect MUST store [`Answerer::answer`]'s answer under
/// the attempt in the effect's transaction, and roll the effect back if the attempt is no
/// longer the key's (its lease ran out and another took over); then it records the answer here
/// ([`IdempotencyScope::stored`]), so that the caller answers exactly what was stored.
pub struct IdempotencyScope {
    /// The attempt that holds the key.
    pub attempt: Attempt,
    answerer: Arc<dyn Answerer>,
    stored: Mutex<Option<StoredAnswer>>,
}

impl fmt::Debug for IdempotencyScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdempotencyScope").field("attempt", &self.attempt).finish_non_exhaustive()
    }
}

impl IdempotencyScope {
    #[must_use]
    /// A scope for `attempt`, answering effects with `answerer`.
    pub fn new(attempt: Attempt, answerer: Arc<dyn Answerer>) -> Self {
        Self { attempt, answerer, stored: Mutex::new(None) }
    }

    /// The answer to `effect`.
    ///
    /// # Errors
    /// As [`Answerer::answer`].
    pub fn answer(&self, effect: Effect<'_>) -> Result<StoredAnswer, BoxError> {
        self.answerer.answer(effect)
    }

    /// Records the answer the adapter stored with the effect (after its commit).
    pub fn record(&self, answer: StoredAnswer) {
        *self.stored.lock().unwrap_or_else(PoisonError::into_inner) = Some(answer);
    }

    /// The answer stored with an effect, if one was.
    #[must_use]
    pub fn stored(&self) -> Option<StoredAnswer> {
        self.stored.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_one_to_255_visible_ascii_characters() {
        for good in ["a", "0f8fad5b-d9cb-469f-a165-70867728950e", "~!#$%", &"k".repeat(255)] {
            assert!(IdempotencyKey::parse(good).is_ok(), "{good:?}");
        }
        for bad in ["", " ", "has space", "tab\t", "é", "nul\0", &"k".repeat(256)] {
            assert_eq!(IdempotencyKey::parse(bad), Err(InvalidIdempotencyKey), "{bad:?}");
        }
    }

    #[test]
    fn users_and_addresses_never_share_a_requester() {
        let user = Requester::user(UserId::new(7).unwrap());
        assert_ne!(user, Requester::address("7"));
        assert_eq!(user.as_str(), "user:7");
    }

    struct Fixed;

    impl Answerer for Fixed {
        fn answer(&self, _: Effect<'_>) -> Result<StoredAnswer, BoxError> {
            Ok(StoredAnswer { status: 204, body: Vec::new() })
        }
    }

    #[test]
    fn a_scope_remembers_what_was_stored_with_the_effect() {
        let attempt = Attempt {
            requester: Requester::user(UserId::new(1).unwrap()),
            key: IdempotencyKey::parse("k").unwrap(),
            id: 9,
        };
        let scope = IdempotencyScope::new(attempt, Arc::new(Fixed));
        assert_eq!(scope.stored(), None);
        let answer = scope.answer(Effect::LoggedOut).unwrap();
        scope.record(answer.clone());
        assert_eq!(scope.stored(), Some(answer));
    }
}
