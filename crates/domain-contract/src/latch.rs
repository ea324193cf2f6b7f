//! The state behind an adapter's [`Gate`](crate::Gate): one latch that every change passes
//! between its decision and its write, so that each adapter implements the gate by holding one
//! and calling [`Latch::pass`] at that point.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Open until closed; while closed, [`Latch::pass`] waits and is counted as parked.
#[derive(Debug, Default)]
pub struct Latch {
    closed: AtomicBool,
    parked: AtomicUsize,
    opened: Notify,
}

impl Latch {
    /// Waits while the latch is closed.
    pub async fn pass(&self) {
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

    /// From now on, every pass waits.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// Lets every waiting pass, and every later one, through.
    pub fn open(&self) {
        self.closed.store(false, Ordering::SeqCst);
        self.opened.notify_waiters();
    }

    /// How many passes wait.
    #[must_use]
    pub fn parked(&self) -> usize {
        self.parked.load(Ordering::SeqCst)
    }
}
