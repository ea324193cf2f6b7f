//! Safe retries: a write sent with an `Idempotency-Key` takes effect once, however often it is
//! sent, and every repeat is answered with what the first did.
//!
//! The first request *claims* its key ([`crate::ports::Idempotency::claim`]) and gets an
//! [`Attempt`]. It hands the attempt, in the open, to the port method that makes its effect
//! (`Sales::book(cmd, Some(attempt))`, …), which stores the [`Effect`] under the attempt in the
//! effect's own transaction — so a crash can never leave an effect without its record, or a
//! record without its effect — and refuses, changing nothing, when the attempt no longer holds
//! the key. What is stored is the domain's decision, not a rendering: the inbound adapter
//! renders it, for the first answer and for every replay alike. A request that turns out to
//! have no effect (a refusal) has its answer stored after it, in the inbound adapter's own
//! encoding ([`Recorded::Verbatim`]); one whose answer must not be replayed (a conflict, a rate
//! limit, a server error) gives its claim back, so a retry runs again.

use std::fmt;

use crate::booking::{Booking, BookingOutcome, Cancellation, Declination, QuantityChange};
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

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Nobody had it (or an earlier attempt's lease ran out without an answer): go ahead, and
    /// hand this attempt to the effect.
    Fresh(Attempt),
    /// The key was answered: answer this again, change nothing.
    Replay(Recorded),
    /// The key was used for another request (method, path or body).
    Reused,
    /// An attempt with this key is still running.
    InFlight,
}

/// The attempt handed to an effect no longer holds its key: its lease ran out and a later
/// attempt took the key over. The effect is not made (the later attempt makes it); adapters
/// answer [`crate::RepoError::Unavailable`] with this as its cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the idempotency key was taken over by a later attempt")]
pub struct KeyTakenOver;

/// What a key's replays are made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The effect the first request made, stored with it.
    Effect(Effect),
    /// The answer to a request that made no effect (a refusal, a sign-in), in the inbound
    /// adapter's own encoding: opaque to the domain and to the store.
    Verbatim(Vec<u8>),
}

/// A committed effect, as the port that made it returned it: what a keyed request is answered
/// with, first and on every replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A booking made.
    Booked(BookingOutcome),
    /// A booking cancelled.
    Cancelled(Cancellation),
    /// A waiting booking's quantity changed.
    QuantityChanged(QuantityChange),
    /// An offer accepted: the booking as now confirmed.
    OfferAccepted(Booking),
    /// An offer declined.
    OfferDeclined(Declination),
    /// An event created.
    EventCreated(Event),
    /// An event changed.
    EventChanged(EventChange),
    /// An event called off.
    EventCalledOff(EventCancellation),
    /// An account registered.
    Registered(User),
    /// A password changed: who signed in, and the token generation a new token gets. No token
    /// is kept; a replay is answered with a freshly issued one.
    PasswordChanged(SignedIn),
    /// A token revoked.
    LoggedOut,
    /// A webhook created, with the secret that signs its deliveries. The first answer always has
    /// it. Stores keep no secret with a key: a replay reads it from the webhook itself (which
    /// must hold it to sign), and has none once the webhook has been deleted.
    WebhookCreated(Webhook, Option<WebhookSecret>),
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
}
