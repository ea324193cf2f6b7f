//! The contract's gate (`domain_contract::Gate`), compiled for its checks only: while closed,
//! every change waits between its decision and its write.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

use crate::MemoryStore;

#[derive(Default)]
pub(crate) struct GateState {
    closed: AtomicBool,
    parked: AtomicUsize,
    opened: Notify,
}

impl GateState {
    /// Waits while the gate is closed.
    pub(crate) async fn pass(&self) {
        if !self.closed.load(Ordering::SeqCst) {
            return;
        }
        self.parked.fetch_add(1, Ordering::SeqCst);
        loop {
            let opened = self.opened.notified();
            if !self.closed.load(Ordering::SeqCst) {
                break;
            }
            opened.await;
        }
        self.parked.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A store's gate.
#[derive(Debug)]
pub struct Gate {
    pub(crate) store: MemoryStore,
}

impl Gate {
    /// From now on, changes wait after their decision.
    pub fn close(&self) {
        self.store.inner.gate.closed.store(true, Ordering::SeqCst);
    }

    /// Lets every waiting change, and every later one, through.
    pub fn open(&self) {
        let gate = &self.store.inner.gate;
        gate.closed.store(false, Ordering::SeqCst);
        gate.opened.notify_waiters();
    }

    /// How many changes wait at the gate.
    #[must_use]
    pub fn parked(&self) -> usize {
        self.store.inner.gate.parked.load(Ordering::SeqCst)
    }

    /// Whether a change waits for an event's guard.
    #[must_use]
    pub fn someone_waits_for_a_guard(&self) -> bool {
        self.store.inner.guards.waiting() > 0
    }
}
