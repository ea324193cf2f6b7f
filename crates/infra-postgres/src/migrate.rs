//! The schema migrations in `migrations/`, embedded in the binary.

use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use domain::BoxError;

/// Every migration of the schema, in order.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Advisory lock held by the migrating transaction, so instances starting together take turns
/// and the later ones find nothing left to do.
const MIGRATION_LOCK: i64 = 0x7469_636b_6574_0001;

type SyncConnection = AsyncConnectionWrapper<AsyncPgConnection>;

/// Why migrating failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("could not connect to the database")]
    Connect(#[source] diesel::ConnectionError),
    #[error("could not take the migration lock")]
    Lock(#[source] diesel::result::Error),
    #[error("a migration failed")]
    Migration(#[source] BoxError),
    #[error("the migration transaction failed")]
    Transaction(#[from] diesel::result::Error),
    #[error("the migration task stopped unexpectedly")]
    Task(#[source] tokio::task::JoinError),
}

/// Applies the pending migrations under the migration lock; returns the versions applied.
///
/// # Errors
/// [`MigrateError`] when the database cannot be reached or a migration fails (then none of
/// this run's migrations is applied: they run in one transaction).
pub async fn run_pending(database_url: &str) -> Result<Vec<String>, MigrateError> {
    with_lock(database_url, |conn| {
        conn.run_pending_migrations(MIGRATIONS)
            .map(|applied| applied.iter().map(ToString::to_string).collect())
    })
    .await
}

/// Reverts every applied migration, newest first, running each `down.sql`.
///
/// # Errors
/// As [`run_pending`].
pub async fn revert_all(database_url: &str) -> Result<Vec<String>, MigrateError> {
    with_lock(database_url, |conn| {
        conn.revert_all_migrations(MIGRATIONS)
            .map(|reverted| reverted.iter().map(ToString::to_string).collect())
    })
    .await
}

/// A fingerprint of the migrations' text (every file under `migrations/`, hashed by the build
/// script), for naming template databases: an edited migration, even under the same version,
/// names a new template.
#[must_use]
pub fn fingerprint() -> &'static str {
    env!("MIGRATIONS_DIGEST")
}

/// A transaction-level advisory lock on `$1`, held until the transaction ends: migrating takes
/// it so that instances starting together take turns. Not a session lock: behind a pooler in
/// transaction mode, a session lock stays with the server connection the pooler lent, held by
/// nobody once the migration's client is gone.
const TAKE_TRANSACTION_LOCK: &str = "SELECT pg_advisory_xact_lock($1)";

/// diesel's migration harness is synchronous: run it on a blocking thread, through diesel-async's
/// wrapper (no libpq needed). Everything runs in one transaction, holding the migration lock
/// (each migration's own transaction becomes a savepoint), on a connection that keeps no
/// statement prepared ([`crate::pool::establish_pinned`]): behind a pooler in transaction mode,
/// the whole run then stays on the one server connection the pooler lends it, and leaves
/// nothing behind there.
async fn with_lock(
    database_url: &str,
    work: impl FnOnce(&mut SyncConnection) -> Result<Vec<String>, BoxError> + Send + 'static,
) -> Result<Vec<String>, MigrateError> {
    let conn = crate::pool::establish_pinned(database_url).await.map_err(MigrateError::Connect)?;
    tokio::task::spawn_blocking(move || {
        let mut conn = SyncConnection::from(conn);
        diesel::Connection::transaction(&mut conn, |conn| {
            diesel::sql_query(TAKE_TRANSACTION_LOCK)
                .bind::<BigInt, _>(MIGRATION_LOCK)
                .execute(conn)
                .map_err(MigrateError::Lock)?;
            work(conn).map_err(MigrateError::Migration)
        })
    })
    .await
    .map_err(MigrateError::Task)?
}
