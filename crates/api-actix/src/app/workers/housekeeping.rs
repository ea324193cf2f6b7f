//! Deleting what can no longer matter: revoked tokens past their expiry, idempotency keys past
//! their keeping time. Every instance sweeps; the deletes are idempotent, so several at once
//! cost a little and break nothing, and one instance alone keeps the tables bounded.

use std::time::Duration;

use domain::ports::{Idempotency, Sessions};

use crate::app::supervisor::{StopSignal, Worker, WorkerRun};
use crate::http::middleware::idempotency::KEPT;

/// Between two sweeps.
const SWEEP_EVERY: Duration = Duration::from_secs(600);

/// The sweeping worker.
#[derive(Debug)]
pub struct Housekeeping<S, I> {
    sessions: S,
    idempotency: I,
    every: Duration,
}

impl<S: Sessions + Clone, I: Idempotency + Clone> Housekeeping<S, I> {
    #[must_use]
    pub const fn new(sessions: S, idempotency: I) -> Self {
        Self { sessions, idempotency, every: SWEEP_EVERY }
    }
}

impl<S: Sessions + Clone, I: Idempotency + Clone> Worker for Housekeeping<S, I> {
    fn name(&self) -> &'static str {
        "housekeeping"
    }

    fn run(&self, mut stop: StopSignal) -> WorkerRun {
        let (sessions, idempotency, every) = (self.sessions.clone(), self.idempotency.clone(), self.every);
        Box::pin(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {
                        let revocations = sessions.forget_expired().await?;
                        let keys = idempotency.forget_older_than(KEPT).await?;
                        if revocations + keys > 0 {
                            tracing::info!(revocations, idempotency_keys = keys, "deleted what can no longer matter");
                        }
                    }
                    () = stop.requested() => return Ok(()),
                }
            }
        })
    }
}
