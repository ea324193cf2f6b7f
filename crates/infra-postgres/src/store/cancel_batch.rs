//! One transaction for a batch of cancels of one event ([`super::batching`]). Cancels of an
//! event serialise on its exclusive guard, one transaction and one WAL flush each; the profile
//! of a churn (docs/BENCHMARKS.md) shows them lock-bound, a quarter of both cores idle. Run
//! together, each cancel is still the single path's own steps ([`super::single`]'s
//! `cancel_in_transaction`: guard, lock, `plan_cancel`, promotion, notice), in arrival order,
//! each in a savepoint so that a refusal undoes only its own; the guard is taken once (it is
//! re-entrant within the transaction) and one commit serves them all. Across instances each
//! batch is an ordinary transaction under the same guard, so I1–I5 and the line's order hold.

use std::sync::Arc;

use diesel_async::{AsyncConnection as _, AsyncPgConnection};
use domain::idempotency::{Attempt, Effect};
use domain::{CancelBooking, CancelError, Cancellation, EventId, RepoError};
use futures_util::future::join_all;

use super::PgStore;
use super::batching::BatchRunner;
use super::idempotency::store_effect;
use super::single::cancel_in_transaction;
use crate::error::TxError;

/// One cancel waiting in its event's lane.
pub(crate) struct Canceller {
    pub(crate) cmd: CancelBooking,
    /// The request's claimed attempt, whose effect the batch stores with the cancel.
    pub(crate) key: Option<Attempt>,
}

type Answer = Result<Cancellation, CancelError>;

/// The store as the runner of cancel batches (its booking batches are the store's own).
#[derive(Clone)]
pub(crate) struct Cancels(pub(crate) PgStore);

impl BatchRunner for Cancels {
    type Key = EventId;
    type Job = Canceller;
    type Answer = Answer;

    async fn run_batch(&self, _event: EventId, jobs: Vec<Canceller>) -> Vec<Answer> {
        match cancel_together(&self.0, &jobs).await {
            Ok(answers) => answers,
            // Nothing committed: an outage is everyone's answer; anything else, each alone.
            Err(e @ RepoError::Unavailable(_)) => {
                let shared = Arc::new(e);
                jobs.iter()
                    .map(|_| {
                        Err(CancelError::Repo(RepoError::Unavailable(Box::new(BatchFailed(Arc::clone(
                            &shared,
                        ))))))
                    })
                    .collect()
            }
            Err(e) => {
                tracing::warn!(error = %e, "a cancel batch failed; its cancels run alone");
                join_all(jobs.iter().map(|job| cancel_alone(&self.0, job))).await
            }
        }
    }
}

/// The batch transaction: every job in its own savepoint, one commit.
async fn cancel_together(store: &PgStore, jobs: &[Canceller]) -> Result<Vec<Answer>, RepoError> {
    let mut conn = store.writer().await?;
    conn.transaction(async |conn| -> Result<_, TxError<RepoError>> {
        let mut answers = Vec::with_capacity(jobs.len());
        for job in jobs {
            answers.push(cancel_one(conn, job).await.map_err(TxError::settle));
        }
        Ok(answers)
    })
    .await
    .map_err(TxError::settle)
}

/// One job, in a savepoint: its cancel, and its effect under its key when it has one.
async fn cancel_one(
    conn: &mut AsyncPgConnection,
    job: &Canceller,
) -> Result<Cancellation, TxError<CancelError>> {
    conn.transaction(async |conn| {
        let cancellation = cancel_in_transaction(conn, job.cmd).await?;
        if let Some(attempt) = &job.key {
            let effect = Effect::Cancelled(cancellation.clone());
            store_effect(conn, attempt, &effect).await.map_err(TxError::stored)?;
        }
        Ok(cancellation)
    })
    .await
}

/// A job the batch could not run, on the single path, with its key.
async fn cancel_alone(store: &PgStore, job: &Canceller) -> Answer {
    store.cancel_alone(job.cmd, job.key.as_ref()).await
}

/// Every cancel of a batch that could not reach the database is told so.
#[derive(Debug, thiserror::Error)]
#[error("the cancel batch could not reach the database")]
struct BatchFailed(#[source] Arc<RepoError>);
