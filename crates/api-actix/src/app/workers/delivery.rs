//! The delivery worker, one per instance: moves newly committed notifications into the queue
//! (the relay; one instance at a time does it), keeps the domain's [`Round`] of deliveries in
//! flight — claiming while it has room and something may be due, recording each delivery as it
//! ends — and otherwise waits for a delivery to end, the notification listener's wake-up or its
//! poll. Any number of instances share the queue; a delivery whose worker died is claimed again
//! once its lease ends.
//!
//! [`Round`]: domain::service::Round

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use domain::ports::{WebhookSender, Webhooks};
use domain::service::Deliveries;
use domain::webhook::{Attempted, DeliveryOutcome};
use tokio::sync::Notify;

use crate::app::supervisor::{StopSignal, Worker, WorkerRun};
use crate::telemetry::metrics;

/// Notifications the relay moves into the queue per step.
const RELAY_BATCH: usize = 1000;

/// The relay runs at most this often per instance: it is a small write transaction, and during
/// a hot drop the listener wakes this worker ten times a second; four relays a second keep the
/// database's share of it small whatever the booking rate, for a quarter of a second of
/// delivery lag at most. Claims are not limited: while deliveries are due and there is room,
/// they follow each other at once.
const RELAY_EVERY: Duration = Duration::from_millis(250);

/// How often the backlog gauges are refreshed.
const BACKLOG_EVERY: Duration = Duration::from_secs(5);

/// Keeps deliveries in flight.
pub struct DeliveryWorker<W, S> {
    deliveries: Arc<Deliveries<W, S>>,
    store: W,
    /// How often to look for due deliveries when nothing wakes the worker (retries come due
    /// without a notification).
    poll: Duration,
    wake: Arc<Notify>,
}

impl<W, S> std::fmt::Debug for DeliveryWorker<W, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryWorker").field("poll", &self.poll).finish_non_exhaustive()
    }
}

impl<W: Webhooks + Clone, S: WebhookSender> DeliveryWorker<W, S> {
    /// Deliveries of `deliveries` from `store`'s queue, woken by `wake` or every `poll`.
    #[must_use]
    pub fn new(deliveries: Deliveries<W, S>, store: W, poll: Duration, wake: Arc<Notify>) -> Self {
        Self { deliveries: Arc::new(deliveries), store, poll, wake }
    }
}

impl<W: Webhooks + Clone, S: WebhookSender> Worker for DeliveryWorker<W, S> {
    fn name(&self) -> &'static str {
        "webhook-delivery"
    }

    fn run(&self, mut stop: StopSignal) -> WorkerRun {
        let (deliveries, store, poll, wake) =
            (Arc::clone(&self.deliveries), self.store.clone(), self.poll, Arc::clone(&self.wake));
        Box::pin(async move {
            let mut round = deliveries.round();
            let started = tokio::time::Instant::now();
            let mut relayed_at = started.checked_sub(RELAY_EVERY).unwrap_or(started);
            let mut backlog_at = started.checked_sub(BACKLOG_EVERY).unwrap_or(started);
            // Whether deliveries may be due: at start, on the poll (retries come due without a
            // wake-up), when one ends (its webhook and organizer have room again), after a
            // claim that filled the room, and after a relay that queued some or that another
            // instance was running. A relay that queued nothing (no webhook wants what
            // committed) needs no claim, so a drop without webhooks costs the database only the
            // relay.
            let mut look = true;
            // Whether new notifications wait for the relay (the listener woke this worker).
            let mut relay_wanted = false;
            // A deadline, not a sleep restarted on every turn: a hot drop wakes this worker ten
            // times a second, and retries must still be looked for.
            let mut poll_at = started + poll;
            while !stop.is_requested() {
                if backlog_at.elapsed() >= BACKLOG_EVERY {
                    if let Ok(backlog) = store.backlog().await {
                        metrics::webhook_backlog(backlog);
                    }
                    backlog_at = tokio::time::Instant::now();
                }
                if relayed_at.elapsed() >= RELAY_EVERY {
                    relayed_at = tokio::time::Instant::now();
                    relay_wanted = false;
                    look |= deliveries.relay(RELAY_BATCH).await? != Some(0);
                }
                if look {
                    let room = round.room();
                    look = room > 0 && round.claim().await? == room;
                }
                // Deliveries in flight are recorded as each ends, whatever else this worker
                // waits for: a receiver that never answers delays nothing but itself.
                tokio::select! {
                    ended = round.ended(), if round.in_flight() > 0 => {
                        round.record(&ended).await?;
                        ended.iter().for_each(count);
                        look = true;
                    }
                    () = wake.notified() => relay_wanted = true,
                    () = tokio::time::sleep_until(relayed_at + RELAY_EVERY), if relay_wanted => {}
                    () = tokio::time::sleep_until(poll_at) => {
                        look = true;
                        poll_at = tokio::time::Instant::now() + poll;
                    }
                    () = stop.requested() => {}
                }
            }
            // Stopping: claim nothing more, and record what is in flight (at most a timeout).
            round.finish().await?.iter().for_each(count);
            Ok(())
        })
    }
}

/// Metrics and the log, once an attempt is recorded.
fn count(attempted: &Attempted) {
    let delivery = &attempted.delivery;
    let label = match &attempted.outcome {
        DeliveryOutcome::Delivered { .. } => {
            let lag = (Utc::now() - delivery.notification.created_at).to_std().unwrap_or_default();
            metrics::webhook_lag(lag);
            "delivered"
        }
        DeliveryOutcome::Gone => "gone",
        DeliveryOutcome::Failed { error, status, detail } => {
            // The detail stays here: the deliveries log an organizer reads shows the class only.
            tracing::info!(webhook = %delivery.webhook, notification = %delivery.notification.id, attempt = delivery.attempt, error = error.as_str(), ?status, detail, "webhook delivery failed");
            if attempted.retry_in.is_none() { "given_up" } else { "failed" }
        }
    };
    metrics::webhook_delivery(label);
}
