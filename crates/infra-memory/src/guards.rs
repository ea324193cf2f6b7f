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
    /// Changes waiting for a guard now, for the contract's gate checks.
    #[cfg(feature = "contract-gate")]
    waiting: std::sync::atomic::AtomicUsize,
}

impl Guards {
    /// Waits for `event`'s guard; it is held until the returned value drops.
    pub(crate) async fn hold(&self, event: EventId) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(locks.entry(event).or_default())
        };
        #[cfg(feature = "contract-gate")]
        if let Ok(free) = Arc::clone(&lock).try_lock_owned() {
            return free;
        }
        #[cfg(feature = "contract-gate")]
        let _waiting = Waiting::on(&self.waiting);
        lock.lock_owned().await
    }

    /// How many changes wait for a guard now.
    #[cfg(feature = "contract-gate")]
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Counts a change waiting for a guard while it lives.
#[cfg(feature = "contract-gate")]
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

#[cfg(feature = "contract-gate")]
impl<'a> Waiting<'a> {
    fn on(count: &'a std::sync::atomic::AtomicUsize) -> Self {
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self(count)
    }
}

#[cfg(feature = "contract-gate")]
impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}
