//! Which events this instance saw with no waiting room a moment ago, so that `/book` on them
//! does not read the store for it on every request (that read cost a hot drop a tenth of its
//! bookings a second). Only the absence of a room is remembered, for [`ROOMLESS_FOR`]: an
//! event with a room is read every time (its token's expiry is judged by the store's clock),
//! and a room set through another instance is in force here within that second. A room set
//! through this instance is in force here at once.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use domain::EventId;

/// How long an event seen without a room is taken to have none.
pub const ROOMLESS_FOR: Duration = Duration::from_secs(1);

/// Past this many events remembered, the stale ones are dropped.
const PRUNE_ABOVE: usize = 4096;

/// Events seen without a room, and when.
#[derive(Debug, Default)]
pub struct RoomlessEvents(Mutex<HashMap<EventId, Instant>>);

impl RoomlessEvents {
    /// Whether `event` was seen without a room within [`ROOMLESS_FOR`].
    pub fn recently(&self, event: EventId) -> bool {
        self.lock().get(&event).is_some_and(|seen| seen.elapsed() < ROOMLESS_FOR)
    }

    /// `event` has no room, as of now.
    pub fn remember(&self, event: EventId) {
        let mut seen = self.lock();
        if seen.len() > PRUNE_ABOVE {
            seen.retain(|_, at| at.elapsed() < ROOMLESS_FOR);
        }
        seen.insert(event, Instant::now());
    }

    /// `event` has a room now.
    pub fn forget(&self, event: EventId) {
        self.lock().remove(&event);
    }

    /// The map holds instants only; every critical section leaves it consistent.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<EventId, Instant>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_taken_to_have_no_room_for_a_second_after_it_was_seen_so() {
        let events = RoomlessEvents::default();
        let event = EventId::new(7).unwrap();
        assert!(!events.recently(event));
        events.remember(event);
        assert!(events.recently(event));
        events.forget(event);
        assert!(!events.recently(event), "a room set here is in force at once");
        events.0.lock().unwrap().insert(event, Instant::now() - ROOMLESS_FOR);
        assert!(!events.recently(event), "after a second, read again");
    }
}
