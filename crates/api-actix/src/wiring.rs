//! The composition root: the one module of the HTTP crate that names the PostgreSQL adapter.
//! Everything else reaches the store through the domain's ports ([`crate::adapters`]); `main`
//! and the tests get their store and state from here.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use domain::HashError;
use domain::idempotency::IdempotencyScope;
use domain::service::AccountService;
use infra_postgres::migrate::{self, MigrateError};
use infra_postgres::pool::{self, PoolSettings};
use infra_postgres::{BatchLimits, PgStore};

use crate::adapters::Adapters;
use crate::auth::{Argon2Hasher, TokenService};
use crate::config::{Config, Secret};
use crate::state::{AppState, Ports};
use crate::supervisor::{StopSignal, Worker, WorkerRun};

pub use infra_postgres::pool::BuildError as PoolError;
pub use infra_postgres::pooler::PoolerCheckError;
pub use infra_postgres::roles::Role;

/// The store every port is served from.
pub type Store = PgStore;

/// The SQL that gives `database` an owner role and an application role (rows only).
#[must_use]
pub fn role_provisioning(database: &str, owner: &Role<'_>, app: &Role<'_>) -> String {
    infra_postgres::roles::provision(database, owner, app)
}

/// The production adapters: every store port in PostgreSQL, passwords hashed with Argon2id.
#[derive(Debug)]
pub enum Postgres {}

impl Adapters for Postgres {
    type Sales = PgStore;
    type Catalog = PgStore;
    type Users = PgStore;
    type Hasher = Argon2Hasher;
    type Sessions = PgStore;
    type Health = PgStore;
    type Notifications = PgStore;
    type Webhooks = PgStore;
    type Idempotency = PgStore;

    fn within<F: Future>(scope: Arc<IdempotencyScope>, work: F) -> impl Future<Output = F::Output> {
        infra_postgres::idempotent_within(scope, work)
    }
}

/// Applies the pending schema migrations (safe from several instances at once); returns how
/// many were applied.
///
/// # Errors
/// [`MigrateError`] when the database cannot be reached or a migration fails.
pub async fn migrate(database_url: &str) -> Result<usize, MigrateError> {
    migrate::run_pending(database_url).await.map(|applied| applied.len())
}

/// The store on its two connection pools (writes, and the public reads) sized by `config`,
/// with its group commit and admission limits. Connects lazily: this succeeds while the
/// database is down.
///
/// # Errors
/// [`PoolError`] when the pool settings are unusable.
pub fn store(database_url: &str, config: &Config) -> Result<PgStore, PoolError> {
    let writes = pool::connect(database_url, &pool_settings(config, config.pool_size, "ticketing"))?;
    let reads =
        pool::connect(database_url, &pool_settings(config, config.read_pool_size, "ticketing-reads"))?;
    let batching =
        BatchLimits { max_batch: config.booking_batch.max, max_waiting: config.booking_batch.waiting };
    let mut store = PgStore::new(writes).reading_from(reads).batching(batching).admitting(config.pool_queue);
    if let Some(replica_url) = &config.database_read_url {
        let replica = pool::connect(
            replica_url.expose(),
            &PoolSettings {
                connect_timeout: REPLICA_CONNECT_TIMEOUT,
                ..pool_settings(config, config.read_pool_size, "ticketing-replica-reads")
            },
        )?;
        store = store.reading_from_replica(replica, config.read_max_lag);
    }
    if config.prepared_statements {
        return Ok(store);
    }
    let listen_url = config.database_listen_url.as_ref().map_or(database_url, Secret::expose);
    Ok(store.behind_transaction_pooler(listen_url))
}

/// A replica that cannot be reached costs a public read at most this before it goes to the
/// primary (and the watch stops sending reads there).
const REPLICA_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// Measures the replica's lag (`DATABASE_READ_URL`), when there is one: until it has, and
/// whenever the replica falls behind or is down, the public reads stay on the primary.
#[must_use]
pub fn replica_watch(store: &PgStore) -> Option<impl Worker> {
    store.replica_watch().map(ReplicaLag)
}

struct ReplicaLag(infra_postgres::ReplicaWatch);

impl Worker for ReplicaLag {
    fn name(&self) -> &'static str {
        "replica-lag"
    }

    fn run(&self, mut stop: StopSignal) -> WorkerRun {
        let watch = self.0.clone();
        Box::pin(async move {
            tokio::select! {
                () = watch.follow() => {}
                () = stop.requested() => {}
            }
            Ok(())
        })
    }
}

fn pool_settings(config: &Config, max_size: usize, name: &str) -> PoolSettings {
    PoolSettings {
        max_size,
        wait_timeout: config.pool_timeout,
        application_name: name.to_owned(),
        prepared_statements: config.prepared_statements,
        ..PoolSettings::default()
    }
}

/// Whether `database_url` reaches PostgreSQL through a pooler that lends server connections
/// per transaction (see [`infra_postgres::pooler`]).
///
/// # Errors
/// [`PoolerCheckError`] when the database cannot be asked.
pub async fn lends_per_transaction(database_url: &str) -> Result<bool, PoolerCheckError> {
    infra_postgres::pooler::lends_per_transaction(database_url).await
}

/// Gives the store's role the time limits its connections cannot carry as session settings
/// (with `DATABASE_PREPARED_STATEMENTS=false`).
///
/// # Errors
/// [`domain::RepoError`] when the database refuses or cannot be reached.
pub async fn adopt_role_defaults(store: &PgStore, config: &Config) -> Result<(), domain::RepoError> {
    store.set_role_defaults(&pool_settings(config, config.pool_size, "ticketing")).await
}

/// Registration and login over `store` (also what `ticketing seed` uses).
///
/// # Errors
/// [`HashError`] when the password hasher cannot start.
pub fn accounts(
    store: &PgStore,
    config: &Config,
) -> Result<AccountService<PgStore, Argon2Hasher>, HashError> {
    Ok(AccountService::new(store.clone(), Argon2Hasher::new(config.hashing)?))
}

/// Tokens signed with `signing` (`JWT_SECRET`, or the embedded database's own), also
/// verifying those of `JWT_PREVIOUS_SECRETS`.
#[must_use]
pub fn tokens(signing: &Secret, config: &Config) -> TokenService {
    let previous: Vec<&[u8]> = config.jwt_previous_secrets.iter().map(|s| s.expose().as_bytes()).collect();
    TokenService::new(signing.expose().as_bytes(), &previous, config.jwt_ttl)
}

/// Everything the handlers need, over `store`.
///
/// # Errors
/// [`HashError`] when the password hasher cannot start.
pub fn app_state(
    store: &PgStore,
    tokens: TokenService,
    config: &Config,
) -> Result<AppState<Postgres>, HashError> {
    // Only the anonymous public reads may come from a replica; every other port reads and
    // writes the primary.
    let primary = store.on_primary();
    let ports = Ports {
        sales: primary.clone(),
        catalog: primary.clone(),
        public_reads: store.clone(),
        users: primary.clone(),
        hasher: Argon2Hasher::new(config.hashing)?,
        sessions: primary.clone(),
        idempotency: primary.clone(),
        health: primary.clone(),
        notifications: primary.clone(),
        webhooks: primary,
    };
    Ok(AppState::new(ports, tokens, config.notification_settings()))
}
