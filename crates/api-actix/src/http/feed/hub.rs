use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use domain::UserId;
use domain::notice::Notification;
use tokio::sync::{Notify, mpsc, watch};

/// What a stream is sent.
#[derive(Debug, Clone)]
pub enum FeedItem {
    /// A new notification of the stream's user.
    Notification(Arc<Notification>),
    /// Read the table up to this id: the stream subscribed while a batch was being read, so
    /// the batch may not hold its notifications.
    CatchUp(i64),
    /// The stream ends: its user opened one more than [`MAX_STREAMS_PER_USER`], and this was
    /// the oldest.
    Superseded,
}

/// Streams one user may hold open on one instance: enough for a few tabs and devices, few
/// enough that one account cannot make the instance hold thousands of them. One more ends the
/// oldest rather than being refused: a client that lost its connections without closing them
/// (a network blip, a sleeping laptop) reconnects at once, while the streams it abandoned would
/// otherwise count until a heartbeat's write failed.
pub const MAX_STREAMS_PER_USER: usize = 8;

/// Why a stream could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    /// No new stream while the instance drains.
    #[error("the instance is stopping")]
    Closed,
}

/// The streams one instance holds, by user, and how far the outbox is settled.
#[derive(Debug)]
pub struct FeedHub {
    state: Mutex<HubState>,
    /// Items a stream may have queued; a stream that falls further behind is closed.
    buffer: usize,
    /// The settled id, for readers waiting on it ([`FeedHub::settled_through`]).
    settled: watch::Sender<i64>,
    /// The highest id a reader waits to see settled; the listener looks again soon while it
    /// is above the settled one.
    wanted: AtomicI64,
    /// Wakes the listener for a reader.
    asked: Notify,
}

#[derive(Debug, Default)]
struct HubState {
    settled: i64,
    /// Bumped by each [`FeedHub::recipients`]; a subscription made after a batch's
    /// recipients were read has a higher generation than the batch.
    generation: u64,
    next_id: u64,
    subscribers: HashMap<UserId, Vec<Subscriber>>,
    closed: bool,
}

#[derive(Debug)]
struct Subscriber {
    id: u64,
    generation: u64,
    tx: mpsc::Sender<FeedItem>,
}

/// One open stream's place in the hub; leaving it (dropping) unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    hub: Arc<FeedHub>,
    user: UserId,
    id: u64,
    /// The settled id when it subscribed: everything up to it is for the stream to read from
    /// the table, everything after comes through `items`.
    pub start: i64,
    pub items: mpsc::Receiver<FeedItem>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut state = self.hub.lock();
        if let Some(subscribers) = state.subscribers.get_mut(&self.user) {
            subscribers.retain(|s| s.id != self.id);
            if subscribers.is_empty() {
                state.subscribers.remove(&self.user);
            }
        }
        crate::telemetry::metrics::notification_streams(state.open());
    }
}

impl HubState {
    fn open(&self) -> usize {
        self.subscribers.values().map(Vec::len).sum()
    }
}

impl FeedHub {
    #[must_use]
    pub fn new(buffer: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(HubState::default()),
            buffer: buffer.max(1),
            settled: watch::Sender::new(0),
            wanted: AtomicI64::new(0),
            asked: Notify::new(),
        })
    }

    /// The state is plain data that every critical section leaves consistent, so a panic
    /// elsewhere while it was held does not make it unusable.
    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every notification up to this id is committed or never will be.
    #[must_use]
    pub fn settled(&self) -> i64 {
        self.lock().settled
    }

    /// Waits, at most `patience`, until every notification up to `id` is settled, asking the
    /// listener to look now rather than at its next poll; returns the settled id then (lower
    /// than `id` if the wait ran out: a writer that drew a lower id is still running).
    pub async fn settled_through(&self, id: i64, patience: Duration) -> i64 {
        let mut settled = self.settled.subscribe();
        if *settled.borrow() >= id {
            return *settled.borrow();
        }
        self.wanted.fetch_max(id, Ordering::SeqCst);
        self.asked.notify_one();
        let reached = tokio::time::timeout(patience, settled.wait_for(|settled| *settled >= id)).await;
        drop(reached);
        *settled.borrow()
    }

    /// Resolves when a reader asks the listener to settle now.
    pub async fn asked(&self) {
        self.asked.notified().await;
    }

    /// Whether a reader waits for an id not yet settled.
    #[must_use]
    pub fn wanted(&self) -> bool {
        self.wanted.load(Ordering::SeqCst) > self.lock().settled
    }

    /// Opens a stream for `user`; if the user holds [`MAX_STREAMS_PER_USER`] already, the
    /// oldest of them ends.
    ///
    /// # Errors
    /// [`SubscribeError::Closed`] once the hub is closed.
    pub fn subscribe(self: &Arc<Self>, user: UserId) -> Result<Subscription, SubscribeError> {
        let (tx, items) = mpsc::channel(self.buffer);
        let mut state = self.lock();
        if state.closed {
            return Err(SubscribeError::Closed);
        }
        state.next_id += 1;
        let (id, generation, start) = (state.next_id, state.generation, state.settled);
        let streams = state.subscribers.entry(user).or_default();
        if streams.len() >= MAX_STREAMS_PER_USER {
            let oldest = streams.remove(0);
            // Full or gone: dropping its sender ends it all the same.
            drop(oldest.tx.try_send(FeedItem::Superseded));
        }
        streams.push(Subscriber { id, generation, tx });
        crate::telemetry::metrics::notification_streams(state.open());
        Ok(Subscription { hub: Arc::clone(self), user, id, start, items })
    }

    /// The users with a stream now, for the next batch's read, and the batch's generation.
    #[must_use]
    pub fn recipients(&self) -> (Vec<UserId>, u64) {
        let mut state = self.lock();
        let generation = state.generation;
        state.generation += 1;
        (state.subscribers.keys().copied().collect(), generation)
    }

    /// Hands a batch — every notification up to `through` for the recipients of
    /// `generation` — to the streams, and records `through` as settled. A stream whose queue
    /// is full is closed.
    pub fn publish(&self, through: i64, generation: u64, batch: Vec<Notification>) {
        let mut by_user: HashMap<UserId, Vec<Arc<Notification>>> = HashMap::new();
        for notification in batch {
            if let Some(user) = notification.recipient() {
                by_user.entry(user).or_default().push(Arc::new(notification));
            }
        }
        let mut state = self.lock();
        let mut dropped = 0;
        for (user, subscribers) in &mut state.subscribers {
            let mine = by_user.get(user).map_or(&[][..], Vec::as_slice);
            subscribers.retain(|s| {
                let sent = if s.generation <= generation {
                    mine.iter().all(|n| s.tx.try_send(FeedItem::Notification(Arc::clone(n))).is_ok())
                } else {
                    s.tx.try_send(FeedItem::CatchUp(through)).is_ok()
                };
                if !sent {
                    dropped += 1;
                }
                sent
            });
        }
        state.subscribers.retain(|_, subscribers| !subscribers.is_empty());
        state.settled = state.settled.max(through);
        self.settled.send_replace(state.settled);
        for _ in 0..dropped {
            crate::telemetry::metrics::notification_stream_dropped();
        }
        crate::telemetry::metrics::notification_streams(state.open());
    }

    /// Ends every stream and refuses new ones: the instance is stopping.
    pub fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.subscribers.clear();
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use domain::notice::{NoticeKind, NotificationData};
    use domain::{Booking, BookingId, BookingStatus, BookingView, EventId, NotificationId};

    use super::*;

    fn user(id: i64) -> UserId {
        UserId::new(id).unwrap()
    }

    fn notice(id: i64, to: i64) -> Notification {
        Notification {
            id: NotificationId::new(id).unwrap(),
            kind: NoticeKind::BookingConfirmed,
            created_at: Utc::now(),
            data: NotificationData::Booking(BookingView {
                booking: Booking {
                    id: BookingId::new(id).unwrap(),
                    event: EventId::new(1).unwrap(),
                    user: user(to),
                    status: BookingStatus::Confirmed,
                    quantity: domain::Quantity::ONE,
                    created_at: Utc::now(),
                    offer_expires_at: None,
                },
                position: None,
                seats_ahead: None,
            }),
        }
    }

    fn received(sub: &mut Subscription) -> Vec<String> {
        let mut got = Vec::new();
        while let Ok(item) = sub.items.try_recv() {
            got.push(match item {
                FeedItem::Notification(n) => format!("n{}", n.id),
                FeedItem::CatchUp(through) => format!("catch-up to {through}"),
                FeedItem::Superseded => "superseded".to_owned(),
            });
        }
        got
    }

    #[test]
    fn each_stream_gets_its_users_notifications_only() {
        let hub = FeedHub::new(8);
        let (mut alice, mut bob) = (hub.subscribe(user(1)).unwrap(), hub.subscribe(user(2)).unwrap());
        let (_, generation) = hub.recipients();
        hub.publish(3, generation, vec![notice(1, 1), notice(2, 2), notice(3, 1)]);
        assert_eq!(received(&mut alice), ["n1", "n3"]);
        assert_eq!(received(&mut bob), ["n2"]);
        assert_eq!(hub.settled(), 3);
        assert_eq!(hub.subscribe(user(3)).unwrap().start, 3);
    }

    #[test]
    fn a_stream_opened_while_a_batch_was_read_is_told_to_catch_up() {
        let hub = FeedHub::new(8);
        let (_, generation) = hub.recipients();
        let mut late = hub.subscribe(user(1)).unwrap();
        hub.publish(5, generation, vec![]);
        assert_eq!(received(&mut late), ["catch-up to 5"]);
    }

    #[test]
    fn a_stream_that_falls_behind_is_closed_not_buffered() {
        let hub = FeedHub::new(2);
        let mut slow = hub.subscribe(user(1)).unwrap();
        let (_, generation) = hub.recipients();
        hub.publish(3, generation, vec![notice(1, 1), notice(2, 1), notice(3, 1)]);
        assert_eq!(received(&mut slow), ["n1", "n2"]);
        assert!(matches!(slow.items.try_recv(), Err(mpsc::error::TryRecvError::Disconnected)));
        assert_eq!(hub.recipients().0, []);
    }

    #[test]
    fn closing_ends_every_stream_and_refuses_new_ones() {
        let hub = FeedHub::new(2);
        let mut open = hub.subscribe(user(1)).unwrap();
        hub.close();
        assert!(matches!(open.items.try_recv(), Err(mpsc::error::TryRecvError::Disconnected)));
        assert_eq!(hub.subscribe(user(1)).err(), Some(SubscribeError::Closed));
    }

    #[test]
    fn one_more_stream_than_the_cap_ends_the_users_oldest() {
        let hub = FeedHub::new(2);
        let mut open: Vec<_> = (0..MAX_STREAMS_PER_USER).map(|_| hub.subscribe(user(1)).unwrap()).collect();
        let other = hub.subscribe(user(2)).unwrap();
        let newest = hub.subscribe(user(1)).unwrap();

        assert_eq!(received(&mut open[0]), ["superseded"]);
        assert!(matches!(open[0].items.try_recv(), Err(mpsc::error::TryRecvError::Disconnected)));
        assert!(open[1..].iter_mut().all(|s| received(s).is_empty()), "the others stay");
        let (users, _) = hub.recipients();
        assert_eq!(users.len(), 2, "{users:?}");
        drop((other, newest));
    }

    #[tokio::test]
    async fn a_reader_waits_for_what_it_asks_to_be_settled_and_no_longer_than_its_patience() {
        let hub = FeedHub::new(2);
        let asked = tokio::spawn({
            let hub = Arc::clone(&hub);
            async move { hub.settled_through(7, Duration::from_secs(5)).await }
        });
        hub.asked().await;
        assert!(hub.wanted());
        let (_, generation) = hub.recipients();
        hub.publish(9, generation, vec![]);
        assert_eq!(asked.await.unwrap(), 9);
        assert!(!hub.wanted());
        assert_eq!(hub.settled_through(20, Duration::from_millis(10)).await, 9, "gave up waiting");
    }

    #[test]
    fn leaving_unsubscribes() {
        let hub = FeedHub::new(2);
        drop(hub.subscribe(user(1)).unwrap());
        assert_eq!(hub.recipients().0, []);
    }
}
