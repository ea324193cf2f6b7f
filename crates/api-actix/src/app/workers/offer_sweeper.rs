//! Passing lapsed offers on without waiting for their event's next write. Every instance runs
//! one; the store finds the events with lapsed offers and takes each event's guard in the order
//! every write takes it, and an offer's status is the claim, so two sweepers never pass the same
//! seat twice. Nothing depends on it for correctness: it bounds how long a lapsed offer's seats
//! wait (I8), which is all a stopped sweeper costs.

use std::time::Duration;

use domain::ports::Sales;

use crate::app::supervisor::{StopSignal, Worker, WorkerRun};
use crate::telemetry::metrics;

/// Events one pass serves at most, the longest-lapsed first; the next pass takes the rest.
const EVENTS_PER_PASS: u32 = 100;

/// The sweeping worker.
#[derive(Debug)]
pub struct OfferSweeper<S> {
    store: S,
    every: Duration,
}

impl<S: Sales + Clone> OfferSweeper<S> {
    /// Sweeps `store` every `every`.
    #[must_use]
    pub const fn new(store: S, every: Duration) -> Self {
        Self { store, every }
    }
}

impl<S: Sales + Clone> Worker for OfferSweeper<S> {
    fn name(&self) -> &'static str {
        "offer-sweeper"
    }

    fn run(&self, mut stop: StopSignal) -> WorkerRun {
        let (store, every) = (self.store.clone(), self.every);
        Box::pin(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {
                        let expired = store.sweep_offers(EVENTS_PER_PASS).await?;
                        if expired > 0 {
                            metrics::record_offers_expired(expired);
                            tracing::debug!(expired, "passed lapsed offers on");
                        }
                    }
                    () = stop.requested() => return Ok(()),
                }
            }
        })
    }
}
