//! Sessions: which of the tokens ever issued may still act for their user.
//!
//! A token is signed, so nothing can change what it says; ending a session therefore means
//! remembering, somewhere every instance reads, which tokens no longer count. Two facts do it:
//! a logout revokes one token (by its id, until it would have expired anyway), and a password
//! change moves the user's *token generation* on, which revokes every token issued in an
//! earlier one. [`Revocations`] holds both and answers whether a token may act.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};

use crate::ids::UserId;

/// A token's own id (its `jti`): 128 random bits, written as 32 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenId(u128);

/// Text that is not 32 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a token id is 32 hexadecimal digits")]
pub struct InvalidTokenId;

impl TokenId {
    /// Wraps 128 bits the issuer drew at random.
    #[must_use]
    pub const fn from_bits(bits: u128) -> Self {
        Self(bits)
    }

    /// The 128 bits.
    #[must_use]
    pub const fn bits(self) -> u128 {
        self.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl FromStr for TokenId {
    type Err = InvalidTokenId;

    fn from_str(text: &str) -> Result<Self, InvalidTokenId> {
        if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(InvalidTokenId);
        }
        u128::from_str_radix(text, 16).map(Self).map_err(|_| InvalidTokenId)
    }
}

/// How many times a user's password has changed: a token issued in an earlier generation no
/// longer acts for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TokenGeneration(u32);

impl TokenGeneration {
    /// Wraps a stored or claimed generation.
    #[must_use]
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw value, for storage and transport.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }
}

/// What a verified token says about itself: enough to decide whether it is revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuedToken {
    /// Its `jti`: what a logout revokes.
    pub id: TokenId,
    /// Whose token it is.
    pub user: UserId,
    /// The user's token generation when it was issued.
    pub generation: TokenGeneration,
    /// When it stops being valid anyway.
    pub expires_at: DateTime<Utc>,
}

/// One fact that stops tokens from acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// A logout: this one token, which would have expired at `expires_at` anyway.
    Token {
        /// The token.
        id: TokenId,
        /// When it expires; the revocation matters until then.
        expires_at: DateTime<Utc>,
    },
    /// A password change at `changed_at`: the user's tokens of generations below `generation`.
    Generation {
        /// Whose password changed.
        user: UserId,
        /// The new generation: tokens below it no longer act.
        generation: TokenGeneration,
        /// When; the revocation matters until the tokens issued before have expired.
        changed_at: DateTime<Utc>,
    },
}

/// Every revocation that can still refuse a token, answering "may this token act?" without a
/// round trip. Entries that cannot matter any more (a revoked token past its expiry, a password
/// change older than any token's life) are dropped by [`Revocations::forget_settled`], so the
/// size follows the recent logouts and password changes, not the history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revocations {
    tokens: HashMap<TokenId, DateTime<Utc>>,
    generations: HashMap<UserId, (TokenGeneration, DateTime<Utc>)>,
}

impl Revocations {
    /// Starts from what the store holds.
    #[must_use]
    pub fn from_facts(facts: impl IntoIterator<Item = Revocation>) -> Self {
        let mut revocations = Self::default();
        for fact in facts {
            revocations.record(fact);
        }
        revocations
    }

    /// Adds one fact. Facts may arrive twice or out of order (a reload racing a broadcast):
    /// a user's highest generation wins.
    pub fn record(&mut self, fact: Revocation) {
        match fact {
            Revocation::Token { id, expires_at } => {
                self.tokens.insert(id, expires_at);
            }
            Revocation::Generation { user, generation, changed_at } => {
                let entry = self.generations.entry(user).or_insert((generation, changed_at));
                if generation > entry.0 {
                    *entry = (generation, changed_at);
                }
            }
        }
    }

    /// Whether `token` may still act: not logged out, and of its user's current generation.
    #[must_use]
    pub fn allows(&self, token: &IssuedToken) -> bool {
        !self.tokens.contains_key(&token.id)
            && self.generations.get(&token.user).is_none_or(|(current, _)| token.generation == *current)
    }

    /// Drops what can no longer refuse a token that is otherwise valid at `now`: revoked
    /// tokens past their expiry, and password changes more than `longest_life` ago (every
    /// token issued before them has expired).
    pub fn forget_settled(&mut self, now: DateTime<Utc>, longest_life: TimeDelta) {
        self.tokens.retain(|_, expires_at| *expires_at > now);
        self.generations.retain(|_, (_, changed_at)| *changed_at + longest_life > now);
    }

    /// How many facts are held (for metrics and tests).
    #[must_use]
    pub fn len(&self) -> usize {
        self.tokens.len() + self.generations.len()
    }

    /// Whether nothing is revoked.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    fn token(id: u128, user: i64, generation: u32) -> IssuedToken {
        IssuedToken {
            id: TokenId::from_bits(id),
            user: UserId::new(user).unwrap(),
            generation: TokenGeneration::new(generation),
            expires_at: at(3600),
        }
    }

    fn password_change(user: i64, generation: u32, seconds: i64) -> Revocation {
        Revocation::Generation {
            user: UserId::new(user).unwrap(),
            generation: TokenGeneration::new(generation),
            changed_at: at(seconds),
        }
    }

    #[test]
    fn a_token_id_is_written_and_read_as_32_hex_digits() {
        let id = TokenId::from_bits(0x0123_4567_89ab_cdef_0011_2233_4455_6677);
        assert_eq!(id.to_string(), "0123456789abcdef0011223344556677");
        assert_eq!("0123456789abcdef0011223344556677".parse(), Ok(id));
        for bad in [
            "",
            "0123456789ABCDEF0011223344556677",
            "0123456789abcdef001122334455667",
            "+123456789abcdef0011223344556677",
        ] {
            assert_eq!(bad.parse::<TokenId>(), Err(InvalidTokenId), "{bad:?}");
        }
    }

    #[test]
    fn nothing_revoked_allows_every_token() {
        assert!(Revocations::default().allows(&token(1, 1, 0)));
    }

    #[test]
    fn a_logout_refuses_that_token_only() {
        let revocations =
            Revocations::from_facts([Revocation::Token { id: TokenId::from_bits(1), expires_at: at(3600) }]);
        assert!(!revocations.allows(&token(1, 1, 0)));
        assert!(revocations.allows(&token(2, 1, 0)));
    }

    #[test]
    fn a_password_change_refuses_the_users_earlier_generations_and_nobody_elses() {
        let revocations = Revocations::from_facts([password_change(1, 2, 0)]);
        assert!(!revocations.allows(&token(1, 1, 0)));
        assert!(!revocations.allows(&token(2, 1, 1)));
        assert!(revocations.allows(&token(3, 1, 2)));
        assert!(revocations.allows(&token(4, 2, 0)));
    }

    #[test]
    fn the_highest_generation_wins_whatever_order_the_facts_arrive_in() {
        let revocations = Revocations::from_facts([password_change(1, 3, 10), password_change(1, 2, 5)]);
        assert!(!revocations.allows(&token(1, 1, 2)));
        assert!(revocations.allows(&token(2, 1, 3)));
    }

    #[test]
    fn settled_facts_are_forgotten_and_live_ones_kept() {
        let mut revocations = Revocations::from_facts([
            Revocation::Token { id: TokenId::from_bits(1), expires_at: at(100) },
            Revocation::Token { id: TokenId::from_bits(2), expires_at: at(300) },
            password_change(1, 1, 0),
            password_change(2, 1, 250),
        ]);
        revocations.forget_settled(at(200), TimeDelta::seconds(100));
        assert_eq!(revocations.len(), 2);
        assert!(!revocations.allows(&token(2, 3, 0)));
        assert!(!revocations.allows(&token(3, 2, 0)));
        assert!(revocations.allows(&token(1, 1, 0)));
    }
}
