//! [`PgStore`]: every port of the domain on one connection pool. One type rather than one per
//! port, because the ports share the pool and, for [`domain::ports::Sales`], the event guard.

mod catalog;
mod health;
mod idempotency;
mod notifications;
mod sales;
mod sessions;
mod users;
mod webhooks;

pub use idempotency::within;
pub use notifications::PgListener;
pub use sessions::PgRevocationListener;
pub use users::EmailNormalisation;

use crate::pool::PgPool;

/// The domain's ports in PostgreSQL. Cheap to clone: clones share the pool.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    #[must_use]
    pub const fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("pool", &self.pool.status()).finish()
    }
}
