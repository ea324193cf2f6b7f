//! The contract's gate (`domain_contract::Gate`): while closed, every change of an event's
//! seats or line waits between its decision and its write, holding the event's guard. Compiled
//! in for the contract checks only (feature `contract-gate`); otherwise passing it is nothing.

#[cfg(feature = "contract-gate")]
use std::sync::Arc;
#[cfg(feature = "contract-gate")]
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[cfg(feature = "contract-gate")]
use tokio::sync::Notify;

/// What the changes pass between their decision and their write.
#[derive(Debug, Default)]
pub(crate) struct GateState {
    #[cfg(feature = "contract-gate")]
    closed: AtomicBool,
    #[cfg(feature = "contract-gate")]
    parked: AtomicUsize,
    #[cfg(feature = "contract-gate")]
    opened: Notify,
}

impl GateState {
    /// Waits while the gate is closed.
    #[cfg(feature = "contract-gate")]
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

    /// Nothing: the gate is not compiled in.
    #[cfg(not(feature = "contract-gate"))]
    #[expect(clippy::unused_async, reason = "the same call as the gate's, which waits")]
    pub(crate) async fn pass(&self) {}
}

/// A store's gate.
#[cfg(feature = "contract-gate")]
#[derive(Debug, Clone)]
pub struct Gate(pub(crate) Arc<GateState>);

#[cfg(feature = "contract-gate")]
impl Gate {
    /// From now on, changes wait after their decision.
    pub fn close(&self) {
        self.0.closed.store(true, Ordering::SeqCst);
    }

    /// Lets every waiting change, and every later one, through.
    pub fn open(&self) {
        self.0.closed.store(false, Ordering::SeqCst);
        self.0.opened.notify_waiters();
    }

    /// How many changes wait at the gate.
    #[must_use]
    pub fn parked(&self) -> usize {
        self.0.parked.load(Ordering::SeqCst)
    }
}
