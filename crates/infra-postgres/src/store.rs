//! [`PgStore`]: every port of the domain on one connection pool (and, for the public reads,
//! optionally a second). One type rather than one per port, because the ports share the pool
//! and, for [`domain::ports::Sales`], the event guard.

mod audit;
mod batching;
mod booking_batch;
mod cancels;
mod catalog;
mod expiry;
mod gate;
mod health;
mod idempotency;
mod notifications;
mod offers;
mod replica;
mod rooms;
mod sales;
mod serving;
mod sessions;
mod single;
mod users;
mod webhooks;

pub use batching::{BatchCounts, BatchLimits};
#[cfg(feature = "contract-gate")]
pub use gate::Gate;
pub use notifications::PgListener;
pub use replica::ReplicaWatch;
pub use sessions::PgRevocationListener;
pub use users::EmailNormalisation;

use std::sync::Arc;

use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager as _};
use domain::RepoError;
use domain::history::RequestId;

use crate::error::{from_diesel, from_pool};
use crate::pool::PgPool;

/// A connection checked out of one of the store's pools.
type Connection = Object<AsyncPgConnection>;

/// How many requests may wait for a connection of one pool by default; one more is refused at
/// once (see [`PgStore::admitting`]).
const DEFAULT_MAX_WAITING: usize = 512;

/// How long opening a listening connection may take (as a pool's connect timeout).
const LISTEN_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

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
    /// The cancels' lanes, one per event like the bookings' (`cancels`).
    cancel_lanes: Arc<batching::Lanes<cancels::Cancels>>,
    /// The waiting rooms' joins' lanes, one per room (`rooms`).
    join_lanes: Arc<batching::Lanes<rooms::Joins>>,
    /// Behind a pooler in transaction mode ([`PgStore::behind_transaction_pooler`]).
    pooled: Option<TransactionPooled>,
    /// Where the public reads go while it keeps up ([`PgStore::reading_from_replica`]).
    replica: Option<Arc<replica::Replica>>,
    /// What changes pass between their decision and their write (the contract's gate).
    gate: Arc<gate::GateState>,
    /// The request the changes made through this copy record in their history
    /// ([`domain::ports::RequestScoped`]).
    request: Option<RequestId>,
}

/// How the store works behind a pooler in transaction mode.
#[derive(Debug, Clone)]
struct TransactionPooled {
    /// Where `LISTEN` connects: a subscription needs a session of its own, which a transaction
    /// pooler does not give.
    listen_url: Arc<str>,
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
            cancel_lanes: Arc::new(batching::Lanes::new(BatchLimits::default())),
            join_lanes: Arc::new(batching::Lanes::new(BatchLimits::default())),
            pooled: None,
            replica: None,
            gate: Arc::default(),
            request: None,
        }
    }

    /// The gate between each change's decision and its write, for the contract checks that
    /// force a second change to come while a first one waits there.
    #[cfg(feature = "contract-gate")]
    #[must_use]
    pub fn gate(&self) -> Gate {
        Gate(Arc::clone(&self.gate))
    }

    /// For pools behind a pooler in transaction mode (built without prepared statements,
    /// [`crate::pool::PoolSettings::prepared_statements`]): every statement then runs inside a
    /// transaction, so that it is prepared, executed and closed on the one server connection
    /// the pooler lends for the transaction — never executed on a connection where another
    /// client prepared a statement of the same name. `LISTEN` connects to `listen_url`
    /// (the database itself, or a pooler in session mode).
    #[must_use]
    pub fn behind_transaction_pooler(mut self, listen_url: &str) -> Self {
        self.pooled = Some(TransactionPooled { listen_url: listen_url.into() });
        self
    }

    /// Bookings of one event that arrive while one of its bookings is in flight go in
    /// batches within `limits`, and so do its cancels and its waiting room's joins; `max_waiting: 0` runs each alone (a
    /// booking as a single statement).
    #[must_use]
    pub fn batching(mut self, limits: BatchLimits) -> Self {
        self.lanes = Arc::new(batching::Lanes::new(limits));
        self.cancel_lanes = Arc::new(batching::Lanes::new(limits));
        self.join_lanes = Arc::new(batching::Lanes::new(limits));
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

    /// A connection for `LISTEN` that never serves a request: taken out of the write pool for
    /// good, or — behind a transaction pooler — opened on the listen URL.
    async fn listening_connection(&self) -> Result<AsyncPgConnection, RepoError> {
        let Some(pooled) = &self.pooled else {
            return Ok(Object::take(self.writer().await?));
        };
        let unavailable = |e: Box<dyn std::error::Error + Send + Sync>| RepoError::Unavailable(e);
        tokio::time::timeout(LISTEN_CONNECT_TIMEOUT, crate::pool::establish(&pooled.listen_url))
            .await
            .map_err(|e| unavailable(Box::new(e)))?
            .map_err(|e| unavailable(Box::new(e)))
    }

    /// `work`'s statements on a connection of the write pool, in a transaction when the store
    /// is behind a transaction pooler ([`PgStore::pinned`]).
    async fn write<R, E: From<RepoError>>(
        &self,
        work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<R, E>,
    ) -> Result<R, E> {
        let mut conn = self.writer().await?;
        self.pinned(&mut conn, work).await
    }

    /// Runs `work` on `conn` as it is, or — behind a transaction pooler — inside a transaction
    /// (committed when `work` succeeds, else rolled back), so that the pooler keeps every
    /// statement of it on one server connection. Transactions `work` opens become savepoints.
    /// diesel-async's own transaction manager tracks it, so a future dropped halfway leaves
    /// a connection the pool discards rather than one still in a transaction.
    pub(crate) async fn pinned<R, E: From<RepoError>>(
        &self,
        conn: &mut AsyncPgConnection,
        work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<R, E>,
    ) -> Result<R, E> {
        if self.pooled.is_none() {
            return work(conn).await;
        }
        AnsiTransactionManager::begin_transaction(conn).await.map_err(|e| E::from(from_diesel(e)))?;
        let done = work(conn).await;
        let ended = match &done {
            Ok(_) => AnsiTransactionManager::commit_transaction(conn).await,
            Err(_) => AnsiTransactionManager::rollback_transaction(conn).await,
        };
        ended.map_err(|e| E::from(from_diesel(e)))?;
        done
    }

    /// What this process's group commit of bookings has gathered so far.
    #[must_use]
    pub fn batch_counts(&self) -> BatchCounts {
        self.lanes.counts()
    }

    /// What this process's group commit of cancels has gathered so far.
    #[must_use]
    pub fn cancel_batch_counts(&self) -> BatchCounts {
        self.cancel_lanes.counts()
    }
}

async fn admit(pool: &PgPool, max_waiting: usize) -> Result<Connection, RepoError> {
    let waiting = pool.status().waiting;
    if waiting >= max_waiting {
        return Err(RepoError::Unavailable(Box::new(domain::Overloaded { waiting })));
    }
    pool.get().await.map_err(from_pool)
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("pool", &self.pool.status()).finish()
    }
}
