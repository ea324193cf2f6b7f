use diesel::QueryableByName;
use diesel::sql_types::Bool;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use domain::RepoError;
use domain::ports::{ConnectionStats, StoreHealth};

use super::PgStore;
use crate::error::from_diesel;
use crate::sql::PING;

impl StoreHealth for PgStore {
    /// Checks out a connection and runs `SELECT 1`: the database answers, and the pool can
    /// reach it. A bare statement, not a transaction, so a caller's timeout cannot leave one
    /// open.
    async fn ping(&self) -> Result<(), RepoError> {
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
        let mut conn = self.writer().await?;
        let row: Superuser = diesel::sql_query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .get_result(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(row.rolsuper)
    }
}
