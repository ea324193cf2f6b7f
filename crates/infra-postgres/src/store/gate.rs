//! The contract's gate (`domain_contract::Gate`): while closed, every change of an event's
//! seats or line waits between its decision and its write, holding the event's guard. Compiled
//! in for the contract checks only (feature `contract-gate`); otherwise passing it is nothing.

#[cfg(feature = "contract-gate")]
use std::sync::Arc;

/// What the changes pass between their decision and their write.
#[cfg(feature = "contract-gate")]
pub(crate) type GateState = domain_contract::Latch;

/// What the changes pass between their decision and their write: nothing to wait for.
#[cfg(not(feature = "contract-gate"))]
#[derive(Debug, Default)]
pub(crate) struct GateState;

#[cfg(not(feature = "contract-gate"))]
impl GateState {
    /// Nothing: the gate is not compiled in.
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
        self.0.close();
    }

    /// Lets every waiting change, and every later one, through.
    pub fn open(&self) {
        self.0.open();
    }

    /// How many changes wait at the gate.
    #[must_use]
    pub fn parked(&self) -> usize {
        self.0.parked()
    }
}
