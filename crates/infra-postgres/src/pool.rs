//! The connection pool. Every limit that keeps a request from hanging lives here or in the
//! server: a short wait for a free connection, and statement and lock timeouts set on every new
//! connection (no client-side timeout is ever wrapped around a transaction: dropping one
//! mid-flight can leave it open).

use std::fmt::Write as _;
use std::time::Duration;

use deadpool::Runtime;
use diesel::ConnectionError;
use diesel::connection::CacheSize;
pub use diesel_async::pooled_connection::deadpool::BuildError;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

/// A pool of async PostgreSQL connections.
pub type PgPool = Pool<AsyncPgConnection>;

/// Pool sizing and the time limits every connection gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    pub max_size: usize,
    /// How long a request waits for a free connection before it is answered "unavailable".
    pub wait_timeout: Duration,
    /// How long opening a new connection may take.
    pub connect_timeout: Duration,
    /// Server-side cap on any one statement.
    pub statement_timeout: Duration,
    /// Server-side cap on waiting for a row or advisory lock.
    pub lock_timeout: Duration,
    /// Shown in `pg_stat_activity`, so an operator can tell this service's sessions apart.
    pub application_name: String,
    /// Whether connections keep their statements prepared (the default: a statement is parsed
    /// and planned once per connection). Off behind a pooler in transaction mode, where a
    /// statement prepared on one server connection may be executed on another: each statement
    /// is then prepared, run and closed within one transaction ([`crate::PgStore::behind_transaction_pooler`]),
    /// and the time limits come from the role's defaults ([`PoolSettings::role_defaults_sql`]),
    /// since a session `SET` would stay on whichever server connection ran it.
    pub prepared_statements: bool,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            wait_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
            lock_timeout: Duration::from_secs(3),
            application_name: "ticketing".to_owned(),
            prepared_statements: true,
        }
    }
}

/// The advisory lock under which an instance sets its role's defaults (beside the migration
/// lock, `…0001`, and the test template's, `…0002`).
const ROLE_DEFAULTS_LOCK: i64 = 0x7469_636b_6574_0003;

impl PoolSettings {
    /// The time limits as the defaults of the connecting role, for connections that cannot
    /// carry session settings (behind a transaction pooler). A role may set its own defaults;
    /// they reach the sessions opened after it, so a pooler's server connections opened
    /// before keep the old ones until they reconnect. Instances starting together take turns
    /// (a transaction-level advisory lock): the first to set a role's defaults in a database
    /// inserts their catalog row, and a second inserting it at the same moment failed on its
    /// unique index (seen in the pooler test, which starts two instances at once).
    #[must_use]
    pub fn role_defaults_sql(&self) -> String {
        let (statement_ms, lock_ms, idle_in_transaction_ms) = self.limits_ms();
        format!(
            "DO $$ BEGIN \
             PERFORM pg_advisory_xact_lock({ROLE_DEFAULTS_LOCK}); \
             EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET statement_timeout = {statement_ms}', current_database()); \
             EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET lock_timeout = {lock_ms}', current_database()); \
             EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET idle_in_transaction_session_timeout = {idle_in_transaction_ms}', current_database()); \
             END $$"
        )
    }

    /// What every pooled connection runs when it opens; the application name is quoted here.
    fn session_setup_sql(&self) -> String {
        let (statement_ms, lock_ms, idle_in_transaction_ms) = self.limits_ms();
        format!(
            "SET statement_timeout = {statement_ms}; SET lock_timeout = {lock_ms}; \
             SET idle_in_transaction_session_timeout = {idle_in_transaction_ms}; SET application_name = '{}'",
            self.application_name.replace('\'', "''"),
        )
    }

    /// The limits a session gets, in milliseconds, whether set on it or as its role's
    /// defaults: a statement, a lock wait, and idling inside a transaction.
    fn limits_ms(&self) -> (u128, u128, u128) {
        let statement = self.statement_timeout;
        (statement.as_millis(), self.lock_timeout.as_millis(), (statement * 4).as_millis())
    }
}

/// Opens a connection that keeps no statement prepared and is safe behind a pooler that lends
/// server connections per transaction. diesel-async's own set-up runs two `SET`s as prepared
/// statements, each prepared and executed in two exchanges, which such a pooler may send to two
/// server connections — where the second may hold another client's statement of that name.
/// So the set-up runs inside a transaction opened first (one simple-protocol message), which
/// keeps it on one server connection.
///
/// # Errors
/// [`ConnectionError`] when the database cannot be reached or the set-up fails.
pub async fn establish_pinned(url: &str) -> Result<AsyncPgConnection, ConnectionError> {
    let (client, connection) =
        tokio_postgres::connect(url, tokio_postgres::NoTls).await.map_err(|e| refused(&e))?;
    // The connection's driver ends when the client is dropped.
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "a pinned connection ended");
        }
    });
    client.batch_execute("BEGIN").await.map_err(|e| refused(&e))?;
    let mut conn = AsyncPgConnection::try_from(client).await?;
    conn.batch_execute("COMMIT").await.map_err(ConnectionError::CouldntSetupConfiguration)?;
    conn.set_prepared_statement_cache_size(CacheSize::Disabled);
    Ok(conn)
}

/// Opens a connection as diesel-async's `establish` does, but keeping PostgreSQL's reason when
/// it is refused: diesel-async reduces it to the driver's bare "db error", so an operator whose
/// database name, password or server is wrong would read nothing that says which.
///
/// # Errors
/// [`ConnectionError::BadConnection`] with the reason, and its SQLSTATE when the server gave one.
pub async fn establish(url: &str) -> Result<AsyncPgConnection, ConnectionError> {
    let (client, connection) =
        tokio_postgres::connect(url, tokio_postgres::NoTls).await.map_err(|e| refused(&e))?;
    AsyncPgConnection::try_from_client_and_connection(client, connection).await
}

/// A refused connection as an operator needs to read it: every cause the driver gives, then
/// the server's SQLSTATE (`3D000` no such database, `28P01` a wrong password, `53300` no free
/// slot), which the command line keys its advice on.
fn refused(error: &tokio_postgres::Error) -> ConnectionError {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if let Some(state) = error.code() {
        let _ = write!(text, " (SQLSTATE {})", state.code());
    }
    ConnectionError::BadConnection(text)
}

/// Builds the pool. No connection is opened until one is needed, so this succeeds while the
/// database is down; requests then fail fast with "unavailable" until it is back.
///
/// # Errors
/// [`BuildError`] when the pool configuration is invalid.
pub fn connect(database_url: &str, settings: &PoolSettings) -> Result<PgPool, BuildError> {
    let setup_sql = settings.session_setup_sql();
    let keep_statements = settings.prepared_statements;
    let mut config = ManagerConfig::default();
    // A connection's health is checked when it fails, not with an extra round trip on every
    // checkout; a closed connection is dropped by the pool on return.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| {
        let setup_sql = setup_sql.clone();
        Box::pin(async move {
            if !keep_statements {
                return establish_pinned(url).await;
            }
            let mut conn = establish(url).await?;
            conn.batch_execute(&setup_sql).await.map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.connect_timeout))
        .recycle_timeout(Some(settings.connect_timeout))
        .runtime(Runtime::Tokio1)
        .build()
}
