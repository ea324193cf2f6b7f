//! The contract's gate (`domain_contract::Gate`), compiled for its checks only: while closed,
//! every change waits between its decision and its write.

use crate::MemoryStore;

/// A store's gate.
#[derive(Debug)]
pub struct Gate {
    pub(crate) store: MemoryStore,
}

impl Gate {
    /// From now on, changes wait after their decision.
    pub fn close(&self) {
        self.store.inner.gate.close();
    }

    /// Lets every waiting change, and every later one, through.
    pub fn open(&self) {
        self.store.inner.gate.open();
    }

    /// How many changes wait at the gate.
    #[must_use]
    pub fn parked(&self) -> usize {
        self.store.inner.gate.parked()
    }

    /// Whether a change waits for an event's guard.
    #[must_use]
    pub fn someone_waits_for_a_guard(&self) -> bool {
        self.store.inner.guards.waiting() > 0
    }
}
