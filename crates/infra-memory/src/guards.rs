//! The event guards: what serialises the changes of one event's seats, line and bookings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use domain::EventId;
use tokio::sync::OwnedMutexGuard;

/// One async mutex per event, made on first use and kept (an entry is a few dozen bytes; a
/// store in memory does not outlive its test or example).
#[derive(Default)]
pub(crate) struct Guards {
    locks: Mutex<HashMap<EventId, Arc<tokio::sync::Mutex<()>>>>,
}

impl Guards {
    /// Waits for `event`'s guard; it is held until the returned value drops.
    pub(crate) async fn hold(&self, event: EventId) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(locks.entry(event).or_default())
        };
        lock.lock_owned().await
    }
}
