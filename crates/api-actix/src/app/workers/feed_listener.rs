//! The one listener of an instance: wakes on the outbox's channel (written by the guarded
//! transactions: cancels, event changes) or on its poll (which finds the booking statements'
//! notices, written without a wake-up), moves the watermark, reads the new notifications of the users this instance
//! streams to, and hands them to the [`FeedHub`]. Losing its connection ends a run; the
//! supervisor starts the next, which resumes from the last published watermark.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use domain::notice::Watermark;
use domain::ports::{NewsListener, Notifications};
use tokio::sync::Notify;

use crate::app::supervisor::{StopSignal, Worker, WorkerRun};
use crate::http::feed::FeedHub;

/// Ids read per settlement.
const BATCH: usize = 1000;

/// How soon to look again while a missing id holds the watermark back. Under a stream of
/// bookings there nearly always is one (an id drawn by a statement still running), so this
/// sets the listener's pace during a drop: ten reads a second per instance, whatever the
/// booking rate, and well inside the second a stream is promised.
const GAP_POLL: Duration = Duration::from_millis(100);

/// How soon to look again while a reader waits for an id a missing one holds back
/// (`FeedHub::settled_through`): the writer that drew it is usually a statement a few
/// milliseconds from committing.
const ASKED_POLL: Duration = Duration::from_millis(5);

/// After a wake-up, how long to let further commits gather before reading: under a stream
/// of cancels every commit wakes every instance, and this bounds the reads to twenty a
/// second per instance, however many commits there are.
const GATHER: Duration = Duration::from_millis(50);

/// Follows the outbox for one instance's streams.
pub struct FeedListener<N> {
    store: N,
    hub: Arc<FeedHub>,
    /// The watermark as last published, kept across restarts of the run.
    mark: Arc<Mutex<Option<Watermark>>>,
    /// Woken on every wake-up, so webhook deliveries start at once too.
    deliveries: Arc<Notify>,
    idle_poll: Duration,
}

impl<N> std::fmt::Debug for FeedListener<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedListener").field("idle_poll", &self.idle_poll).finish_non_exhaustive()
    }
}

impl<N: Notifications + Clone> FeedListener<N> {
    #[must_use]
    pub fn new(store: N, hub: Arc<FeedHub>, deliveries: Arc<Notify>, idle_poll: Duration) -> Self {
        Self { store, hub, mark: Arc::new(Mutex::new(None)), deliveries, idle_poll }
    }
}

impl<N: Notifications + Clone> Worker for FeedListener<N> {
    fn name(&self) -> &'static str {
        "notification-listener"
    }

    fn run(&self, mut stop: StopSignal) -> WorkerRun {
        let (store, hub, saved, deliveries, idle_poll) = (
            self.store.clone(),
            Arc::clone(&self.hub),
            Arc::clone(&self.mark),
            Arc::clone(&self.deliveries),
            self.idle_poll,
        );
        Box::pin(async move {
            // Listen first: a commit after this point wakes us; one before it is in the table.
            let mut listener = store.listen().await?;
            let restored = saved.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let mut mark = match restored {
                Some(mark) => mark,
                None => store.watermark().await?,
            };
            loop {
                if catch_up(&store, &hub, &mut mark).await? {
                    deliveries.notify_one();
                }
                *saved.lock().unwrap_or_else(PoisonError::into_inner) = Some(mark.clone());
                let pause = if hub.wanted() {
                    ASKED_POLL
                } else if mark.waiting() {
                    GAP_POLL
                } else {
                    idle_poll
                };
                tokio::select! {
                    woken = listener.wake() => {
                        woken?;
                        tokio::time::sleep(GATHER).await;
                        deliveries.notify_one();
                    }
                    () = hub.asked() => {}
                    () = tokio::time::sleep(pause) => {}
                    () = stop.requested() => return Ok(()),
                }
            }
        })
    }
}

/// Moves the watermark as far as the table allows, publishing each step; says whether it
/// moved.
async fn catch_up<N: Notifications>(
    store: &N,
    hub: &FeedHub,
    mark: &mut Watermark,
) -> Result<bool, domain::RepoError> {
    let start = mark.settled_through();
    loop {
        let settlement = store.settlement(mark.walked(), BATCH).await?;
        let full = settlement.ids.len() >= BATCH;
        let before = mark.settled_through();
        let mut next = mark.clone();
        if next.advance(&settlement) {
            let through = next.settled_through();
            let (users, generation) = hub.recipients();
            let batch = if users.is_empty() {
                Vec::new()
            } else {
                store.for_recipients(before, through, &users).await?
            };
            hub.publish(through, generation, batch);
        }
        *mark = next;
        if !full {
            return Ok(mark.settled_through() != start);
        }
    }
}
