use std::sync::RwLock;

use chrono::{DateTime, TimeDelta, Utc};
use domain::session::{IssuedToken, Revocation, Revocations};
use tokio::sync::watch;

/// This instance's copy of the revocations, kept current by the revocation follower (a worker of
/// `crate::app` listening to the store's announcements), so that checking a token costs no round
/// trip.
///
/// The copy is trusted only while the follower is following: before its first load, and from
/// the moment its listener fails until it has listened and loaded again, [`Self::allows`]
/// answers `None` and the caller asks the store. A missed announcement can therefore never
/// let a revoked token through; it can only cost round trips for a while.
///
/// Every change bumps a version that open notification streams watch ([`Self::changes`]), so a
/// stream ends as soon as its session does, on whichever instance holds it.
#[derive(Debug, Default)]
pub struct RevocationRegistry {
    copy: RwLock<Option<Revocations>>,
    version: watch::Sender<u64>,
}

impl RevocationRegistry {
    /// Changes as they happen: a new version after every fact recorded, load or suspension.
    #[must_use]
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn changed(&self) {
        self.version.send_modify(|version| *version += 1);
    }

    /// `Some(answer)` while the copy is current; `None` when the store must be asked.
    #[must_use]
    pub fn allows(&self, token: &IssuedToken) -> Option<bool> {
        self.copy.read().ok()?.as_ref().map(|revocations| revocations.allows(token))
    }

    /// Starts trusting a fresh load.
    pub fn replace(&self, loaded: Revocations) {
        if let Ok(mut copy) = self.copy.write() {
            *copy = Some(loaded);
        }
        self.changed();
    }

    /// Adds a revocation heard of (or made here). Ignored while the copy is not trusted: the
    /// next load includes it.
    pub fn record(&self, fact: Revocation) {
        if let Ok(mut copy) = self.copy.write()
            && let Some(revocations) = copy.as_mut()
        {
            revocations.record(fact);
        }
        self.changed();
    }

    /// Stops trusting the copy until the next [`Self::replace`].
    pub fn suspend(&self) {
        if let Ok(mut copy) = self.copy.write() {
            *copy = None;
        }
        self.changed();
    }

    /// Drops what can no longer refuse a token (see [`Revocations::forget_settled`]).
    pub fn forget_settled(&self, now: DateTime<Utc>, longest_life: TimeDelta) {
        if let Ok(mut copy) = self.copy.write()
            && let Some(revocations) = copy.as_mut()
        {
            revocations.forget_settled(now, longest_life);
        }
    }
}

#[cfg(test)]
mod tests {
    use domain::UserId;
    use domain::session::{TokenGeneration, TokenId};

    use super::*;

    fn token(bits: u128) -> IssuedToken {
        IssuedToken {
            id: TokenId::from_bits(bits),
            user: UserId::new(1).unwrap(),
            generation: TokenGeneration::new(0),
            expires_at: Utc::now() + TimeDelta::hours(1),
        }
    }

    #[test]
    fn an_untrusted_copy_answers_nothing_and_ignores_what_it_hears() {
        let registry = RevocationRegistry::default();
        assert_eq!(registry.allows(&token(1)), None);
        registry.record(Revocation::Token { id: TokenId::from_bits(1), expires_at: token(1).expires_at });
        registry.replace(Revocations::default());
        assert_eq!(
            registry.allows(&token(1)),
            Some(true),
            "the load is what counts, not what came before it"
        );
    }

    #[test]
    fn a_trusted_copy_answers_until_suspended() {
        let registry = RevocationRegistry::default();
        registry.replace(Revocations::default());
        registry.record(Revocation::Token { id: TokenId::from_bits(1), expires_at: token(1).expires_at });
        assert_eq!(registry.allows(&token(1)), Some(false));
        assert_eq!(registry.allows(&token(2)), Some(true));
        registry.suspend();
        assert_eq!(registry.allows(&token(2)), None);
    }
}
