use diesel_async::SimpleAsyncConnection;
use domain::RepoError;
use domain::ports::{ConnectionStats, StoreHealth};

use super::PgStore;
use crate::error::from_pool;
use crate::sql::PING;

impl StoreHealth for PgStore {
    /// Checks out a connection and runs `SELECT 1`: the database answers, and the pool can
    /// reach it. A bare statement, not a transaction, so a caller's timeout cannot leave one
    /// open.
    async fn ping(&self) -> Result<(), RepoError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        conn.batch_execute(PING).await.map_err(|e| RepoError::Unavailable(Box::new(e)))
    }

    fn connections(&self) -> ConnectionStats {
        let status = self.pool.status();
        ConnectionStats {
            open: status.size,
            idle: status.available,
            max: status.max_size,
            waiting: status.waiting,
        }
    }
}
