use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use domain::UserId;

/// Users recently confirmed to exist, so an authenticated request need not ask the database
/// each time (a round trip per request, on every booking).
///
/// Only presence is cached, and briefly: the service never deletes users, so the one cost is
/// that a user removed by hand keeps a working token for up to the time to live (then their
/// bookings fail on the foreign key instead). The lock guards a cache, never a business rule.
#[derive(Debug)]
pub struct KnownUsers {
    seen: Mutex<HashMap<UserId, Instant>>,
    ttl: Duration,
}

/// Beyond this many entries, stale ones are dropped on insert.
const PRUNE_ABOVE: usize = 100_000;

impl KnownUsers {
    #[must_use]
    pub fn new(ttl: Duration) -> Self {
        Self { seen: Mutex::new(HashMap::new()), ttl }
    }

    /// Whether `user` was confirmed to exist within the time to live.
    #[must_use]
    pub fn contains(&self, user: UserId) -> bool {
        self.seen.lock().is_ok_and(|seen| seen.get(&user).is_some_and(|at| at.elapsed() < self.ttl))
    }

    /// Records that `user` exists, now.
    pub fn insert(&self, user: UserId) {
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() > PRUNE_ABOVE {
                let ttl = self.ttl;
                seen.retain(|_, at| at.elapsed() < ttl);
            }
            seen.insert(user, Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64) -> UserId {
        UserId::new(id).unwrap()
    }

    #[test]
    fn a_user_is_known_once_inserted() {
        let known = KnownUsers::new(Duration::from_secs(60));
        assert!(!known.contains(user(1)));
        known.insert(user(1));
        assert!(known.contains(user(1)));
        assert!(!known.contains(user(2)));
    }

    #[test]
    fn knowledge_expires_after_the_time_to_live() {
        let known = KnownUsers::new(Duration::ZERO);
        known.insert(user(1));
        assert!(!known.contains(user(1)));
    }
}
