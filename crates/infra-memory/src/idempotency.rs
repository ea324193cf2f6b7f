//! Keys of retried writes, and the scope a keyed request runs in.
//!
//! As in the PostgreSQL adapter, a keyed request runs inside [`within`], and every port method
//! that makes an effect finds the scope and stores the answer in the same atomic step as the
//! effect: checked before anything changes ([`check`]), written with the change ([`Pending`]).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::RepoError;
use domain::idempotency::{
    Attempt, Claim, Effect, Fingerprint, IdempotencyScope, IdempotentRequest, StoredAnswer,
};
use domain::ports::Idempotency;

use crate::MemoryStore;
use crate::tables::Tables;

tokio::task_local! {
    static SCOPE: Arc<IdempotencyScope>;
}

/// Runs `work` with `scope` in force: effects it makes through [`MemoryStore`] store their
/// answers under the scope's attempt, in the same step as the effect.
pub async fn within<F: Future>(scope: Arc<IdempotencyScope>, work: F) -> F::Output {
    SCOPE.scope(scope, work).await
}

/// A claimed key.
#[derive(Debug, Clone)]
pub(crate) struct KeyRow {
    fingerprint: Fingerprint,
    attempt: u128,
    claimed_at: Instant,
    lease: Duration,
    answer: Option<StoredAnswer>,
}

/// The attempt's key was taken over by a later attempt after its lease ran out: the effect must
/// not happen (the later attempt makes it).
#[derive(Debug, thiserror::Error)]
#[error("the idempotency key was taken over by a later attempt")]
struct KeyLost;

/// An answer checked and rendered, to be written with its effect.
#[must_use = "store the answer with the effect"]
pub(crate) struct Pending(Option<(Arc<IdempotencyScope>, StoredAnswer)>);

/// An answer written; the scope is told once the step is over.
#[must_use = "tell the scope"]
pub(crate) struct Settled(Option<(Arc<IdempotencyScope>, StoredAnswer)>);

/// Before an effect is applied: renders the answer to it under the scope in force, if any,
/// and checks that the scope's attempt still holds its key.
///
/// # Errors
/// [`RepoError::Unavailable`] when the key was taken over; [`RepoError::Internal`] when the
/// answer cannot be rendered. Nothing is changed either way.
pub(crate) fn check(tables: &Tables, effect: Effect<'_>) -> Result<Pending, RepoError> {
    let Ok(scope) = SCOPE.try_with(Arc::clone) else { return Ok(Pending(None)) };
    let attempt = &scope.attempt;
    let held = tables
        .keys
        .get(&(attempt.requester.clone(), attempt.key.clone()))
        .is_some_and(|row| row.attempt == attempt.id && row.answer.is_none());
    if !held {
        return Err(RepoError::Unavailable(Box::new(KeyLost)));
    }
    let answer = scope.answer(effect).map_err(RepoError::Internal)?;
    Ok(Pending(Some((scope, answer))))
}

impl Pending {
    /// Writes the answer; call in the same hold of the tables as [`check`], once the effect is
    /// applied.
    pub(crate) fn store(self, tables: &mut Tables) -> Settled {
        if let Some((scope, answer)) = &self.0 {
            let name = (scope.attempt.requester.clone(), scope.attempt.key.clone());
            if let Some(row) = tables.keys.get_mut(&name) {
                row.answer = Some(answer.clone());
            }
        }
        Settled(self.0)
    }
}

impl Settled {
    /// Tells the scope what was stored.
    pub(crate) fn committed(self) {
        if let Some((scope, answer)) = self.0 {
            scope.record(answer);
        }
    }
}

impl Idempotency for MemoryStore {
    async fn claim(&self, request: IdempotentRequest, lease: Duration) -> Result<Claim, RepoError> {
        let mut tables = self.tables();
        tables.attempts += 1;
        let attempt = Attempt { requester: request.requester, key: request.key, id: tables.attempts };
        let name = (attempt.requester.clone(), attempt.key.clone());
        let now = Instant::now();
        if let Some(row) = tables.keys.get(&name) {
            if row.fingerprint != request.fingerprint {
                return Ok(Claim::Reused);
            }
            if let Some(answer) = &row.answer {
                return Ok(Claim::Replay(answer.clone()));
            }
            if row.claimed_at.checked_add(row.lease).is_none_or(|end| now < end) {
                return Ok(Claim::InFlight);
            }
        }
        let row = KeyRow {
            fingerprint: request.fingerprint,
            attempt: attempt.id,
            claimed_at: now,
            lease,
            answer: None,
        };
        tables.keys.insert(name, row);
        Ok(Claim::Fresh(attempt))
    }

    async fn finish(&self, attempt: Attempt, answer: Option<StoredAnswer>) -> Result<(), RepoError> {
        let mut tables = self.tables();
        let name = (attempt.requester, attempt.key);
        let ours =
            tables.keys.get(&name).is_some_and(|row| row.attempt == attempt.id && row.answer.is_none());
        if !ours {
            return Ok(());
        }
        match answer {
            Some(answer) => {
                if let Some(row) = tables.keys.get_mut(&name) {
                    row.answer = Some(answer);
                }
            }
            None => {
                tables.keys.remove(&name);
            }
        }
        Ok(())
    }

    async fn forget_older_than(&self, kept: Duration) -> Result<u64, RepoError> {
        let mut tables = self.tables();
        let before = tables.keys.len();
        tables.keys.retain(|_, row| row.claimed_at.elapsed() <= kept);
        Ok(u64::try_from(before - tables.keys.len()).unwrap_or(u64::MAX))
    }
}
