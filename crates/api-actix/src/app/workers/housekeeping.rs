//! Deleting what can no longer matter: revoked tokens past their expiry, idempotency keys past
//! their keeping time, and, past their retention (`RetentionConfig`), webhook delivery
//! attempts, settled deliveries and notifications — which every booking and every attempt
//! adds to, and which nothing else ever deletes. Every instance sweeps; the deletes are
//! idempotent, so several at once cost a little and break nothing, and one instance alone keeps
//! the tables bounded. Retention deletes go a bounded batch at a time (one short statement
//! each, holding few locks for little time), until a batch comes back short. Past events'
//! history is not deleted but moved to its archive, the same way.

use std::time::Duration;

use domain::RepoError;
use domain::ports::{Audit, Idempotency, Notifications, Sessions, Webhooks};

use crate::app::config::RetentionConfig;
use crate::app::supervisor::{StopSignal, Worker, WorkerRun};
use crate::http::middleware::idempotency::KEPT;

/// Between two sweeps.
const SWEEP_EVERY: Duration = Duration::from_secs(600);

/// Rows one retention delete removes at most.
const BATCH: usize = 1000;

/// The sweeping worker.
#[derive(Debug)]
pub struct Housekeeping<S> {
    store: S,
    retention: RetentionConfig,
    every: Duration,
}

impl<S: Sessions + Idempotency + Webhooks + Notifications + Audit + Clone> Housekeeping<S> {
    /// Sweeps `store` every ten minutes, keeping what `retention` says.
    #[must_use]
    pub const fn new(store: S, retention: RetentionConfig) -> Self {
        Self { store, retention, every: SWEEP_EVERY }
    }
}

impl<S: Sessions + Idempotency + Webhooks + Notifications + Audit + Clone> Worker for Housekeeping<S> {
    fn name(&self) -> &'static str {
        "housekeeping"
    }

    fn run(&self, mut stop: StopSignal) -> WorkerRun {
        let (store, retention, every) = (self.store.clone(), self.retention, self.every);
        Box::pin(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {
                        let revocations = store.forget_expired().await?;
                        let keys = store.forget_older_than(KEPT).await?;
                        let stopping = || stop.is_requested();
                        // Deliveries before notifications: a notification is kept while one
                        // refers to it.
                        let attempts =
                            in_batches(stopping, || store.forget_attempts(retention.webhook_attempts, BATCH)).await?;
                        let deliveries =
                            in_batches(stopping, || store.forget_deliveries(retention.webhook_deliveries, BATCH))
                                .await?;
                        let notifications =
                            in_batches(stopping, || store.forget_notifications(retention.notifications, BATCH))
                                .await?;
                        let archived = in_batches(stopping, || async {
                            let moved = store.archive_history(retention.history_archive_after_days, BATCH).await?;
                            Ok(u64::try_from(moved).unwrap_or(u64::MAX))
                        })
                        .await?;
                        if archived > 0 {
                            tracing::info!(history_entries = archived, "moved past events' history to the archive");
                        }
                        if revocations + keys + attempts + deliveries + notifications > 0 {
                            tracing::info!(
                                revocations,
                                idempotency_keys = keys,
                                webhook_attempts = attempts,
                                webhook_deliveries = deliveries,
                                notifications,
                                "deleted what can no longer matter"
                            );
                        }
                    }
                    () = stop.requested() => return Ok(()),
                }
            }
        })
    }
}

/// Runs `forget` — one delete of at most [`BATCH`] rows — again while it deletes a full batch
/// and no stop is requested; returns how many it deleted in all.
async fn in_batches<F: Future<Output = Result<u64, RepoError>>>(
    stopping: impl Fn() -> bool,
    mut forget: impl FnMut() -> F,
) -> Result<u64, RepoError> {
    let full = u64::try_from(BATCH).unwrap_or(u64::MAX);
    let mut total = 0;
    loop {
        let deleted = forget().await?;
        total += deleted;
        if deleted < full || stopping() {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[tokio::test]
    async fn a_sweep_deletes_batch_after_batch_until_one_comes_back_short() {
        let left = Cell::new(2 * BATCH as u64 + 7);
        let calls = Cell::new(0);
        let forget = || {
            calls.set(calls.get() + 1);
            let deleted = left.get().min(BATCH as u64);
            left.set(left.get() - deleted);
            std::future::ready(Ok(deleted))
        };

        assert_eq!(in_batches(|| false, forget).await.unwrap(), 2 * BATCH as u64 + 7);
        assert_eq!(calls.get(), 3, "two full batches, then the short one");
    }

    #[tokio::test]
    async fn a_stop_ends_a_sweep_after_the_batch_in_hand() {
        let calls = Cell::new(0);
        let endless = || {
            calls.set(calls.get() + 1);
            std::future::ready(Ok(BATCH as u64))
        };

        assert_eq!(in_batches(|| true, endless).await.unwrap(), BATCH as u64);
        assert_eq!(calls.get(), 1);
    }

    #[tokio::test]
    async fn a_failed_delete_ends_the_sweep_with_its_error() {
        let failing = || std::future::ready(Err(RepoError::Unavailable("the database went away".into())));
        assert!(in_batches(|| false, failing).await.is_err());
    }
}
