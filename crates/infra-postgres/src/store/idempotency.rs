//! Keys of retried writes, and the scope a keyed request runs in.
//!
//! A keyed request runs inside [`within`]: the scope travels with the request's task (a tokio
//! task-local), so every port method that makes an effect finds it ([`settle`]) and stores the
//! answer in the effect's transaction, without a parameter on every port and command. Without
//! a scope nothing changes: the booking fast path stays one statement.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use diesel_async::AsyncPgConnection;
use domain::RepoError;
use domain::idempotency::{Attempt, Claim, Effect, IdempotencyScope, IdempotentRequest, StoredAnswer};
use domain::ports::Idempotency;

use super::PgStore;
use crate::error::{Inconsistent, corrupt_row, from_diesel};
use crate::queries::idempotency::{self as keys, KeyName};

tokio::task_local! {
    static SCOPE: Arc<IdempotencyScope>;
}

/// Runs `work` with `scope` in force: effects it makes through [`PgStore`] store their answers
/// under the scope's attempt, in their own transactions.
pub async fn within<F: Future>(scope: Arc<IdempotencyScope>, work: F) -> F::Output {
    SCOPE.scope(scope, work).await
}

/// The scope in force, if the current request has one.
pub(crate) fn current() -> Option<Arc<IdempotencyScope>> {
    SCOPE.try_with(Arc::clone).ok()
}

/// A transaction on `$conn` (error type `TxError<$error>`) that makes an effect — `$work`, an
/// expression over the transaction's connection `$c` — and, when an idempotency scope is in
/// force, stores the answer to `$effect` (an [`Effect`] of the effect's value, bound to `$v`)
/// with it, telling the scope once it committed. Evaluates to `Result<value, $error>`. A macro
/// rather than a function: a helper generic over the async closure would need diesel-async's
/// unexported `AsyncFunc` bound to prove the transaction's future `Send`.
macro_rules! answered_transaction {
    ($conn:expr, $error:ty, |$c:ident| $work:expr, |$v:ident| $effect:expr) => {
        match $conn
            .transaction(async |$c| -> Result<_, $crate::error::TxError<$error>> {
                let value = $work;
                let $v = &value;
                let settled = $crate::store::idempotency::settle($c, $effect)
                    .await
                    .map_err($crate::error::TxError::stored)?;
                Ok((value, settled))
            })
            .await
        {
            Ok((value, settled)) => {
                settled.committed();
                Ok(value)
            }
            Err(e) => Err($crate::error::TxError::settle(e)),
        }
    };
}
pub(crate) use answered_transaction;

/// An answer stored in a transaction not yet committed; [`Settled::committed`] tells the scope
/// once it is.
#[must_use = "tell the scope once the transaction committed"]
pub(crate) struct Settled(Option<(Arc<IdempotencyScope>, StoredAnswer)>);

impl Settled {
    /// Nothing stored (the effect did not happen).
    pub(crate) const fn none() -> Self {
        Self(None)
    }

    pub(crate) fn committed(self) {
        if let Some((scope, answer)) = self.0 {
            scope.record(answer);
        }
    }
}

/// Inside an effect's transaction: stores the answer to `effect` under the scope's attempt, if
/// a scope is in force.
///
/// # Errors
/// [`RepoError::Unavailable`] when the attempt no longer holds its key (its lease ran out and
/// a retry took over): the caller rolls the effect back, the retry makes it. A rendering
/// failure or a database error as such.
pub(crate) async fn settle(conn: &mut AsyncPgConnection, effect: Effect<'_>) -> Result<Settled, RepoError> {
    let Some(scope) = current() else { return Ok(Settled(None)) };
    match settle_for(conn, vec![(scope, effect)]).await?.pop() {
        Some(Stored::Held(settled)) => Ok(settled),
        Some(Stored::Lost) | None => Err(RepoError::Unavailable(Box::new(Inconsistent(
            "the idempotency key was taken over by a later attempt",
        )))),
    }
}

/// Whether an answer was stored under its attempt's key.
pub(crate) enum Stored {
    Held(Settled),
    /// The attempt no longer holds its key: the effect must roll back.
    Lost,
}

/// [`settle`] for many scopes given explicitly, in one statement: a batch settles for the
/// requests in it. One [`Stored`] per scope, in order.
///
/// # Errors
/// A rendering failure or a database error.
pub(crate) async fn settle_for(
    conn: &mut AsyncPgConnection,
    effects: Vec<(Arc<IdempotencyScope>, Effect<'_>)>,
) -> Result<Vec<Stored>, RepoError> {
    let rendered = effects
        .into_iter()
        .map(|(scope, effect)| {
            let answer = scope.answer(effect).map_err(RepoError::Internal)?;
            let status = i16::try_from(answer.status).map_err(corrupt_row)?;
            Ok((scope, answer, status))
        })
        .collect::<Result<Vec<_>, RepoError>>()?;
    if rendered.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<keys::Answer<'_>> = rendered
        .iter()
        .map(|(scope, answer, status)| keys::Answer {
            name: name(&scope.attempt),
            attempt: attempt_id(&scope.attempt),
            status: *status,
            body: &answer.body,
        })
        .collect();
    let held = keys::answer_many(conn, &rows).await.map_err(from_diesel)?;
    drop(rows);
    Ok(rendered
        .into_iter()
        .zip(held)
        .map(
            |((scope, answer, _), held)| {
                if held { Stored::Held(Settled(Some((scope, answer)))) } else { Stored::Lost }
            },
        )
        .collect())
}

fn name(attempt: &Attempt) -> KeyName<'_> {
    KeyName { requester: attempt.requester.as_str(), key: attempt.key.as_str() }
}

fn attempt_id(attempt: &Attempt) -> String {
    format!("{:032x}", attempt.id)
}

impl Idempotency for PgStore {
    async fn claim(&self, request: IdempotentRequest, lease: Duration) -> Result<Claim, RepoError> {
        let attempt = Attempt { requester: request.requester, key: request.key, id: random_bits()? };
        let fingerprint = request.fingerprint.bytes().as_slice();
        let (name, id) = (name(&attempt), attempt_id(&attempt));
        let (claimed, held) = self
            .write(async |conn| {
                if keys::claim(conn, &name, fingerprint, &id, lease).await.map_err(from_diesel)? {
                    return Ok((true, None));
                }
                Ok::<_, RepoError>((false, keys::held(conn, &name, fingerprint).await.map_err(from_diesel)?))
            })
            .await?;
        if claimed {
            return Ok(Claim::Fresh(attempt));
        }
        // Released between the two statements: the retry that comes next will find it free.
        let Some(held) = held else { return Ok(Claim::InFlight) };
        Ok(match held {
            _ if !held.same_request => Claim::Reused,
            keys::HeldRow { status: Some(status), body: Some(body), .. } => {
                Claim::Replay(StoredAnswer { status: u16::try_from(status).map_err(corrupt_row)?, body })
            }
            _ => Claim::InFlight,
        })
    }

    async fn finish(&self, attempt: Attempt, answer: Option<StoredAnswer>) -> Result<(), RepoError> {
        let id = attempt_id(&attempt);
        let name = name(&attempt);
        let status = answer.as_ref().map(|a| i16::try_from(a.status)).transpose().map_err(corrupt_row)?;
        self.write(async |conn| {
            match (status, &answer) {
                (Some(status), Some(answer)) => {
                    keys::answer(conn, &name, &id, status, &answer.body).await.map(drop)
                }
                _ => keys::release(conn, &name, &id).await.map(drop),
            }
            .map_err(from_diesel)
        })
        .await?;
        Ok(())
    }

    async fn forget_older_than(&self, kept: Duration) -> Result<u64, RepoError> {
        let forgotten =
            self.write(async |conn| keys::forget_older_than(conn, kept).await.map_err(from_diesel)).await?;
        Ok(u64::try_from(forgotten).unwrap_or(u64::MAX))
    }
}

/// 128 random bits for an attempt's id.
fn random_bits() -> Result<u128, RepoError> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| RepoError::Internal(Box::new(e)))?;
    Ok(u128::from_le_bytes(bytes))
}
