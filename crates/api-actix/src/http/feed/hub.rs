use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use domain::UserId;
use domain::notice::Notification;
use tokio::sync::mpsc;

/// What a stream is sent.
#[derive(Debug, Clone)]
pub enum FeedItem {
    /// A new notification of the stream's user.
    Notification(Arc<Notification>),
    /// Read the table up to this id: the stream subscribed while a batch was being read, so
    /// the batch may not hold its notifications.
    CatchUp(i64),
}

/// Streams one user may hold open on one instance: enough for a few tabs and devices, few
/// enough that one account cannot make the instance hold thousands of them.
pub const MAX_STREAMS_PER_USER: usize = 8;

/// Why a stream could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    #[error("the instance is stopping")]
    Closed,
    #[error("the user already holds {MAX_STREAMS_PER_USER} streams on this instance")]
    TooMany,
}

/// The streams one instance holds, by user, and how far the outbox is settled.
#[derive(Debug)]
pub struct FeedHub {
    state: Mutex<HubState>,
    /// Items a stream may have queued; a stream that falls further behind is closed.
    buffer: usize,
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
        Arc::new(Self { state: Mutex::new(HubState::default()), buffer: buffer.max(1) })
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

    /// Opens a stream for `user`.
    ///
    /// # Errors
    /// [`SubscribeError`] once the hub is closed, or when the user holds too many streams.
    pub fn subscribe(self: &Arc<Self>, user: UserId) -> Result<Subscription, SubscribeError> {
        let (tx, items) = mpsc::channel(self.buffer);
        let mut state = self.lock();
        if state.closed {
            return Err(SubscribeError::Closed);
        }
        if state.subscribers.get(&user).is_some_and(|s| s.len() >= MAX_STREAMS_PER_USER) {
            return Err(SubscribeError::TooMany);
        }
        state.next_id += 1;
        let (id, generation, start) = (state.next_id, state.generation, state.settled);
        state.subscribers.entry(user).or_default().push(Subscriber { id, generation, tx });
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
                    created_at: Utc::now(),
                },
                position: None,
            }),
        }
    }

    fn received(sub: &mut Subscription) -> Vec<String> {
        let mut got = Vec::new();
        while let Ok(item) = sub.items.try_recv() {
            got.push(match item {
                FeedItem::Notification(n) => format!("n{}", n.id),
                FeedItem::CatchUp(through) => format!("catch-up to {through}"),
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
    fn one_user_holds_a_bounded_number_of_streams() {
        let hub = FeedHub::new(2);
        let open: Vec<_> = (0..MAX_STREAMS_PER_USER).map(|_| hub.subscribe(user(1)).unwrap()).collect();
        assert_eq!(hub.subscribe(user(1)).err(), Some(SubscribeError::TooMany));
        assert!(hub.subscribe(user(2)).is_ok(), "per user");
        drop(open);
        assert!(hub.subscribe(user(1)).is_ok());
    }

    #[test]
    fn leaving_unsubscribes() {
        let hub = FeedHub::new(2);
        drop(hub.subscribe(user(1)).unwrap());
        assert_eq!(hub.recipients().0, []);
    }
}
