//! [`PgStore`]: every port of the domain on one connection pool (and, for the public reads,
//! optionally a second). One type rather than one per port, because the ports share the pool
//! and, for [`domain::ports::Sales`], the event guard.

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

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::Object;
use domain::RepoError;

use crate::error::from_pool;
use crate::pool::PgPool;

/// A connection checked out of one of the store's pools.
type Connection = Object<AsyncPgConnection>;

/// How many requests may wait for a connection of one pool by default; one more is refused at
/// once (see [`PgStore::admitting`]).
const DEFAULT_MAX_WAITING: usize = 512;

/// The domain's ports in PostgreSQL. Cheap to clone: clones share the pools and the booking
/// lanes (one process's group commit, [`BatchLimits`]).
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The public reads' own connections ([`PgStore::reading_from`]), so that a surge of writes
    /// queueing for connections never holds up `/status` and the event pages.
    reads: PgPool,
    max_waiting: usize,
    lanes: Arc<batching::Lanes<Self>>,
}

/// The store could not take another request: too many already wait for a connection.
#[derive(Debug, thiserror::Error)]
#[error("{waiting} requests already wait for a database connection")]
struct Overloaded {
    waiting: usize,
}

impl PgStore {
    /// Every port on `pool`, with the default group commit and admission.
    #[must_use]
    pub fn new(pool: PgPool) -> Self {
        Self {
            reads: pool.clone(),
            pool,
            max_waiting: DEFAULT_MAX_WAITING,
            lanes: Arc::new(batching::Lanes::new(BatchLimits::default())),
        }
    }

    /// Bookings of one event that arrive while one of its bookings is in flight go in
    /// batches within `limits`; `max_waiting: 0` books each alone, as a single statement.
    #[must_use]
    pub fn batching(mut self, limits: BatchLimits) -> Self {
        self.lanes = Arc::new(batching::Lanes::new(limits));
        self
    }

    /// The public reads (an event, its status, the event pages) on a pool of their own.
    #[must_use]
    pub fn reading_from(mut self, reads: PgPool) -> Self {
        self.reads = reads;
        self
    }

    /// Admission control: at most `max_waiting` requests wait for a connection of each pool
    /// (each for at most the pool's wait timeout); one more is refused at once as
    /// [`RepoError::Unavailable`] (a 503 with `Retry-After`), rather than joining a queue that
    /// could only end in timeouts.
    #[must_use]
    pub const fn admitting(mut self, max_waiting: usize) -> Self {
        self.max_waiting = max_waiting;
        self
    }

    async fn writer(&self) -> Result<Connection, RepoError> {
        admit(&self.pool, self.max_waiting).await
    }

    async fn reader(&self) -> Result<Connection, RepoError> {
        admit(&self.reads, self.max_waiting).await
    }

    /// What this process's group commit has gathered so far.
    #[must_use]
    pub fn batch_counts(&self) -> BatchCounts {
        self.lanes.counts()
    }
}

async fn admit(pool: &PgPool, max_waiting: usize) -> Result<Connection, RepoError> {
    let waiting = pool.status().waiting;
    if waiting >= max_waiting {
        return Err(RepoError::Unavailable(Box::new(Overloaded { waiting })));
    }
    pool.get().await.map_err(from_pool)
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("pool", &self.pool.status()).finish()
    }
}
