//! Keys of retried writes. A port method that makes an effect is handed the request's attempt:
//! it checks that the attempt still holds its key before it changes anything ([`hold`]) and
//! stores the effect in the same hold of the tables as the change ([`Held::store`]), as the
//! PostgreSQL adapter does in the change's transaction.

use std::time::{Duration, Instant};

use domain::RepoError;
use domain::idempotency::{
    Attempt, Claim, Effect, IdempotencyKey, IdempotentRequest, KeyTakenOver, Recorded, Requester,
};
use domain::ports::Idempotency;

use crate::MemoryStore;
use crate::tables::{KeyRow, Tables};

/// A key its attempt still holds, checked before the effect, to store the effect under.
#[must_use = "store the effect with the change"]
pub(crate) struct Held(Option<(Requester, IdempotencyKey)>);

/// Checks, before anything changes, that `key`'s attempt (if any) still holds its key.
///
/// # Errors
/// [`RepoError::Unavailable`] ([`KeyTakenOver`]) when a later attempt took it over; nothing
/// is changed.
pub(crate) fn hold(tables: &Tables, key: Option<&Attempt>) -> Result<Held, RepoError> {
    let Some(attempt) = key else { return Ok(Held(None)) };
    let name = (attempt.requester.clone(), attempt.key.clone());
    let held = tables.keys.get(&name).is_some_and(|row| row.attempt == attempt.id && row.answer.is_none());
    if !held {
        return Err(RepoError::Unavailable(Box::new(KeyTakenOver)));
    }
    Ok(Held(Some(name)))
}

impl Held {
    /// Stores the effect under the key; call in the same hold of the tables as [`hold`], once
    /// the change is applied. The effect is built only for a keyed request.
    pub(crate) fn store(self, tables: &mut Tables, effect: impl FnOnce() -> Effect) {
        if let Some(row) = self.0.and_then(|name| tables.keys.get_mut(&name)) {
            row.answer = Some(Recorded::Effect(effect()));
        }
    }
}

/// A replayed webhook creation with the secret its webhook holds now (none once deleted): the
/// key keeps none.
fn with_secret(tables: &Tables, answer: Recorded) -> Recorded {
    match answer {
        Recorded::Effect(Effect::WebhookCreated(webhook, _)) => {
            let secret = tables.hooks.webhooks.get(&webhook.id).map(|(_, secret)| secret.clone());
            Recorded::Effect(Effect::WebhookCreated(webhook, secret))
        }
        other => other,
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
                return Ok(Claim::Replay(with_secret(&tables, answer.clone())));
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

    async fn finish(&self, attempt: Attempt, answer: Option<Vec<u8>>) -> Result<(), RepoError> {
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
                    row.answer = Some(Recorded::Verbatim(answer));
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
