//! Whether this instance is draining: set once on shutdown by the runtime, read by `/ready`
//! so that a balancer stops sending requests here before the listener closes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shared by the runtime (which starts it) and `/ready` (which reads it).
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    /// Whether shutdown has begun.
    #[must_use]
    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Begins draining; there is no way back.
    pub fn start(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}
