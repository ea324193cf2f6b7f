//! Where the data lives and how the service reaches it.

use std::path::PathBuf;
use std::time::Duration;

use super::ConfigError;
use super::vars::Vars;
use crate::secret::Secret;

/// Group commit: the bookings of one event that arrive while one of its bookings is in flight
/// wait for it (at most [`BookingBatch::waiting`] of them) and go together, at most
/// [`BookingBatch::max`] to a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingBatch {
    /// `BOOKING_BATCH_MAX`, default 256: bookings per transaction.
    pub max: usize,
    /// `BOOKING_BATCH_WAITING`, default 4096; 0 books every request alone.
    pub waiting: usize,
}

/// The database settings.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`; without it the service runs its own PostgreSQL in
    /// [`DatabaseConfig::data_dir`].
    pub url: Option<Secret>,
    /// `DATABASE_OWNER_URL`: where migrations run, when the schema's owner is another role than
    /// `DATABASE_URL`'s (which then needs only to read and write rows). Default: `DATABASE_URL`.
    pub owner_url: Option<Secret>,
    /// `DATABASE_PREPARED_STATEMENTS`, default `true`: each connection keeps its statements
    /// prepared. Behind a pooler that lends server connections per transaction (PgBouncer's
    /// `pool_mode = transaction`) a statement prepared on one server connection could run on
    /// another, as another client's statement: set `false` there, and every statement runs
    /// inside a transaction with nothing left prepared. With `true`, the service refuses to
    /// start behind such a pooler.
    pub prepared_statements: bool,
    /// `DATABASE_LISTEN_URL`: where `LISTEN` (the instances' wake-ups and token revocations)
    /// connects when `DATABASE_PREPARED_STATEMENTS=false` — PostgreSQL itself, or a pooler in
    /// session mode: a subscription needs a session, which a transaction pooler does not give.
    /// Required then with `DATABASE_URL`.
    pub listen_url: Option<Secret>,
    /// `DATABASE_READ_URL`: a streaming replica of the database that serves the anonymous
    /// public reads (`/status`, `/events`, `/events/{id}`) while it is no more than
    /// `READ_MAX_LAG_MS` behind; never migrated. Reads of signed-in callers — their own
    /// bookings, and whatever they read right after a write — stay on the primary.
    pub read_url: Option<Secret>,
    /// `READ_MAX_LAG_MS`, default 1000: how far the replica may fall behind the primary (time
    /// since the oldest change it has not replayed) before the public reads move back to the
    /// primary.
    pub read_max_lag: Duration,
    /// `DATABASE_POOL_SIZE`, default 16.
    pub pool_size: usize,
    /// `DATABASE_READ_POOL_SIZE`, default 4: connections of the public reads' own pool (an
    /// event, `/status`, the event pages), so a surge of writes never starves them.
    pub read_pool_size: usize,
    /// `DATABASE_POOL_QUEUE`, default 512: requests that may wait for a connection of each
    /// pool; one more gets a 503 with `Retry-After` at once.
    pub pool_queue: usize,
    /// `DATABASE_POOL_TIMEOUT_MS`: how long a request waits for a connection before a 503,
    /// default 1000.
    pub pool_timeout: Duration,
    /// Group commit of one event's concurrent bookings.
    pub booking_batch: BookingBatch,
    /// `TICKETING_DATA_DIR`: where the embedded PostgreSQL keeps its data, default `.data`.
    pub data_dir: PathBuf,
}

impl DatabaseConfig {
    pub(super) fn read(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let url = vars.secret("DATABASE_URL");
        let prepared_statements = vars.parsed("DATABASE_PREPARED_STATEMENTS", true)?;
        let listen_url = vars.secret("DATABASE_LISTEN_URL");
        if !prepared_statements && url.is_some() && listen_url.is_none() {
            return Err(ConfigError::Missing {
                var: "DATABASE_LISTEN_URL",
                reason: "with DATABASE_PREPARED_STATEMENTS=false: LISTEN needs a session of its own (PostgreSQL itself, or a pooler in session mode)",
            });
        }
        Ok(Self {
            url,
            owner_url: vars.secret("DATABASE_OWNER_URL"),
            prepared_statements,
            listen_url,
            read_url: vars.secret("DATABASE_READ_URL"),
            read_max_lag: vars.positive_millis("READ_MAX_LAG_MS", 1000)?,
            pool_size: vars.at_least_one("DATABASE_POOL_SIZE", 16)?,
            read_pool_size: vars.at_least_one("DATABASE_READ_POOL_SIZE", 4)?,
            pool_queue: vars.parsed("DATABASE_POOL_QUEUE", 512)?,
            pool_timeout: vars.millis("DATABASE_POOL_TIMEOUT_MS", 1000)?,
            booking_batch: BookingBatch {
                max: vars.at_least_one("BOOKING_BATCH_MAX", 256)?,
                waiting: vars.parsed("BOOKING_BATCH_WAITING", 4096)?,
            },
            data_dir: vars.get("TICKETING_DATA_DIR").map_or_else(|| PathBuf::from(".data"), PathBuf::from),
        })
    }

    /// Connections one instance opens at most: both pools and the two listeners
    /// (notifications, revocations).
    #[must_use]
    pub const fn connections_per_instance(&self) -> usize {
        self.pool_size + self.read_pool_size + 2
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;
    use super::*;

    #[test]
    fn without_prepared_statements_an_external_database_needs_a_listen_url() {
        let pooled = [("DATABASE_URL", "postgres://x@pooler/y"), ("DATABASE_PREPARED_STATEMENTS", "false")];
        let missing = config(&pooled);
        let given = config(&[pooled[0], pooled[1], ("DATABASE_LISTEN_URL", "postgres://x@db/y")]).unwrap();

        assert!(
            matches!(missing, Err(ConfigError::Missing { var: "DATABASE_LISTEN_URL", .. })),
            "{missing:?}"
        );
        assert!(!given.database.prepared_statements);
        assert!(config(&[]).unwrap().database.prepared_statements, "kept prepared by default");
        assert!(config(&[("DATABASE_PREPARED_STATEMENTS", "no")]).is_err());
    }

    #[test]
    fn a_read_replica_is_optional_and_its_lag_bound_positive() {
        let none = config(&[]).unwrap().database;
        let given = config(&[("DATABASE_READ_URL", "postgres://x@replica/y"), ("READ_MAX_LAG_MS", "250")])
            .unwrap()
            .database;

        assert!(none.read_url.is_none());
        assert_eq!(none.read_max_lag, Duration::from_millis(1000));
        assert_eq!(given.read_url.as_ref().map(Secret::expose), Some("postgres://x@replica/y"));
        assert_eq!(given.read_max_lag, Duration::from_millis(250));
        assert!(config(&[("READ_MAX_LAG_MS", "0")]).is_err());
    }

    #[test]
    fn pools_need_a_connection_and_batches_a_booking() {
        for var in ["DATABASE_POOL_SIZE", "DATABASE_READ_POOL_SIZE", "BOOKING_BATCH_MAX"] {
            let err = config(&[(var, "0")]).unwrap_err().to_string();
            assert!(err.starts_with(&format!("{var} is invalid")), "{err}");
        }
        assert_eq!(config(&[("BOOKING_BATCH_WAITING", "0")]).unwrap().database.booking_batch.waiting, 0);
    }
}
