use diesel::QueryableByName;
use diesel::sql_types::Bool;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use domain::RepoError;
use domain::ports::{ConnectionStats, StoreHealth};

use super::PgStore;
use crate::error::from_diesel;
use crate::pool::PoolSettings;

/// Readiness: the database answers. A bare statement, not a transaction, so abandoning it
/// leaves nothing open.
const PING: &str = "SELECT 1";

impl StoreHealth for PgStore {
    /// Checks out a connection and runs `SELECT 1`: the database answers, and the pool can
    /// reach it. A bare statement, not a transaction, so a caller's timeout cannot leave one
    /// open.
    async fn ping(&self) -> Result<(), RepoError> {
        // One simple-protocol message: nothing prepared, so nothing to pin, even behind a
        // transaction pooler.
        let mut conn = self.writer().await?;
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

#[derive(QueryableByName)]
struct Superuser {
    #[diesel(sql_type = Bool)]
    rolsuper: bool,
}

impl PgStore {
    /// Whether the pool's role is a superuser: the service then warns at start.
    ///
    /// # Errors
    /// [`domain::RepoError`] when the database cannot be asked.
    pub async fn connected_as_superuser(&self) -> Result<bool, domain::RepoError> {
        let row: Superuser = self
            .write(async |conn| {
                diesel::sql_query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                    .get_result(conn)
                    .await
                    .map_err(from_diesel)
            })
            .await?;
        Ok(row.rolsuper)
    }
}

impl PgStore {
    /// Makes `settings`' time limits the defaults of the pool's role (the role may set its own),
    /// for pools whose connections cannot carry session settings: behind a transaction pooler.
    ///
    /// # Errors
    /// [`domain::RepoError`] when the database refuses or cannot be reached.
    pub async fn set_role_defaults(&self, settings: &PoolSettings) -> Result<(), domain::RepoError> {
        // One simple-protocol message, run as one implicit transaction.
        let mut conn = self.writer().await?;
        conn.batch_execute(&settings.role_defaults_sql()).await.map_err(from_diesel)
    }
}
