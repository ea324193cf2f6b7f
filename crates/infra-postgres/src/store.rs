//! [`PgStore`]: every port of the domain on one connection pool. One type rather than one per
//! port, because the ports share the pool and, for [`domain::ports::Sales`], the event guard.

mod batching;
mod booking_batch;
mod catalog;
mod health;
mod idempotency;
mod notifications;
mod sales;
mod sessions;
mod users;
mod webhooks;

pub use batching::{BatchCounts, BatchLimits};
pub use idempotency::within;
pub use notifications::PgListener;
pub use sessions::PgRevocationListener;
pub use users::EmailNormalisation;

use std::sync::Arc;

use crate::pool::PgPool;

/// The domain's ports in PostgreSQL. Cheap to clone: clones share the pool and the booking
/// lanes (one process's group commit, [`BatchLimits`]).
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    lanes: Arc<batching::Lanes<Self>>,
}

impl PgStore {
    /// With the default group commit.
    #[must_use]
    pub fn new(pool: PgPool) -> Self {
        Self::with_batching(pool, BatchLimits::default())
    }

    /// Bookings of one event that arrive while one of its bookings is in flight go in
    /// batches within `limits`; `max_waiting: 0` books each alone, as a single statement.
    #[must_use]
    pub fn with_batching(pool: PgPool, limits: BatchLimits) -> Self {
        Self { pool, lanes: Arc::new(batching::Lanes::new(limits)) }
    }

    /// What this process's group commit has gathered so far.
    #[must_use]
    pub fn batch_counts(&self) -> BatchCounts {
        self.lanes.counts()
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("pool", &self.pool.status()).finish()
    }
}
