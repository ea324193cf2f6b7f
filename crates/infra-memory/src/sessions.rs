//! Revocations: logouts kept until their tokens expire, password changes as the users' token
//! generations, each announced to the listeners once it is stored.

use chrono::{DateTime, TimeDelta, Utc};
use domain::RepoError;
use domain::idempotency::{Attempt, Effect};
use domain::ports::{RevocationListener, Sessions};
use domain::session::{IssuedToken, Revocation};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::MemoryStore;
use crate::idempotency::hold;

/// Expired logouts are kept this much longer, as the PostgreSQL adapter keeps them, for the
/// instances' clocks to differ.
const GRACE: TimeDelta = TimeDelta::minutes(1);

impl Sessions for MemoryStore {
    type Listener = MemoryRevocationListener;

    async fn revoke(&self, token: IssuedToken, key: Option<Attempt>) -> Result<(), RepoError> {
        let mut tables = self.tables();
        let held = hold(&tables, key.as_ref())?;
        tables.revoked.entry(token.id).or_insert(token.expires_at);
        held.store(&mut tables, || Effect::LoggedOut);
        drop(tables);
        self.announce(Revocation::Token { id: token.id, expires_at: token.expires_at });
        Ok(())
    }

    async fn revocations(&self, changed_since: DateTime<Utc>) -> Result<Vec<Revocation>, RepoError> {
        let tables = self.tables();
        let now = Utc::now();
        let logouts = tables
            .revoked
            .iter()
            .filter(|&(_, &expires_at)| expires_at > now)
            .map(|(&id, &expires_at)| Revocation::Token { id, expires_at });
        let changes = tables.users.values().filter_map(|row| {
            let changed_at = row.password_changed_at.filter(|at| *at > changed_since)?;
            Some(Revocation::Generation { user: row.user.id, generation: row.generation, changed_at })
        });
        Ok(logouts.chain(changes).collect())
    }

    async fn admits(&self, token: IssuedToken) -> Result<bool, RepoError> {
        let tables = self.tables();
        let current = tables.users.get(&token.user).is_some_and(|row| row.generation == token.generation);
        Ok(current && !tables.revoked.contains_key(&token.id))
    }

    async fn listen(&self) -> Result<MemoryRevocationListener, RepoError> {
        Ok(MemoryRevocationListener(self.inner.revocations.subscribe()))
    }

    async fn forget_expired(&self) -> Result<u64, RepoError> {
        let mut tables = self.tables();
        let before = tables.revoked.len();
        let cutoff = Utc::now() - GRACE;
        tables.revoked.retain(|_, expires_at| *expires_at >= cutoff);
        Ok(u64::try_from(before - tables.revoked.len()).unwrap_or(u64::MAX))
    }
}

/// Revocations as they are stored by any clone of the store.
#[derive(Debug)]
pub struct MemoryRevocationListener(broadcast::Receiver<Revocation>);

/// The listener fell too far behind and missed revocations.
#[derive(Debug, thiserror::Error)]
#[error("the revocation listener missed {0} revocations")]
struct Missed(u64);

impl RevocationListener for MemoryRevocationListener {
    async fn next(&mut self) -> Result<Revocation, RepoError> {
        self.0.recv().await.map_err(|e| match e {
            RecvError::Lagged(missed) => RepoError::Unavailable(Box::new(Missed(missed))),
            RecvError::Closed => RepoError::Unavailable(Box::new(Missed(0))),
        })
    }
}
