//! The composition root's one module that names the adapters: PostgreSQL for every store port,
//! Argon2id for passwords, reqwest for webhooks. Everything else reaches them through the
//! domain's ports; `main` and the tests get their store and adapters from here.

use std::time::Duration;

use domain::HashError;
use domain::service::AccountService;
use infra_argon2::Argon2Hasher;
use infra_postgres::migrate::{self, MigrateError};
use infra_postgres::pool::{self, PoolSettings};
use infra_postgres::{BatchLimits, PgStore};
use infra_webhooks::{HttpSender, SenderSettings, TargetPolicy};

use crate::app::config::{AuthConfig, Config, DatabaseConfig, WebhookConfig};
use crate::app::startup::Adapters;
use crate::app::workers::ReplicaLag;
use crate::http::auth::TokenService;
use crate::secret::Secret;

pub use infra_postgres::pool::BuildError as PoolError;
pub use infra_postgres::pooler::PoolerCheckError;
pub use infra_postgres::roles::Role;
pub use infra_webhooks::SenderError;

/// The store every port is served from.
pub type Store = PgStore;

/// The SQL that gives `database` an owner role and an application role (rows only).
#[must_use]
pub fn role_provisioning(database: &str, owner: &Role<'_>, app: &Role<'_>) -> String {
    infra_postgres::roles::provision(database, owner, app)
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
pub fn store(database_url: &str, config: &DatabaseConfig) -> Result<PgStore, PoolError> {
    let writes = pool::connect(database_url, &pool_settings(config, config.pool_size, "ticketing"))?;
    let reads =
        pool::connect(database_url, &pool_settings(config, config.read_pool_size, "ticketing-reads"))?;
    let batching =
        BatchLimits { max_batch: config.booking_batch.max, max_waiting: config.booking_batch.waiting };
    let mut store = PgStore::new(writes).reading_from(reads).batching(batching).admitting(config.pool_queue);
    if let Some(replica_url) = &config.read_url {
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
    let listen_url = config.listen_url.as_ref().map_or(database_url, Secret::expose);
    Ok(store.behind_transaction_pooler(listen_url))
}

/// A replica that cannot be reached costs a public read at most this before it goes to the
/// primary (and the watch stops sending reads there).
const REPLICA_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// The worker that measures the replica's lag, when there is one.
#[must_use]
pub fn replica_watch(store: &PgStore) -> Option<ReplicaLag> {
    store.replica_watch().map(ReplicaLag)
}

fn pool_settings(config: &DatabaseConfig, max_size: usize, name: &str) -> PoolSettings {
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
pub async fn adopt_role_defaults(store: &PgStore, config: &DatabaseConfig) -> Result<(), domain::RepoError> {
    store.set_role_defaults(&pool_settings(config, config.pool_size, "ticketing")).await
}

/// Argon2id within the configured hashing limits.
///
/// # Errors
/// [`HashError`] when the hasher cannot start.
pub fn hasher(config: &AuthConfig) -> Result<Argon2Hasher, HashError> {
    Argon2Hasher::new(config.hashing)
}

/// Registration and login over `store` (also what `ticketing seed` uses).
///
/// # Errors
/// [`HashError`] when the password hasher cannot start.
pub fn accounts(
    store: &PgStore,
    config: &AuthConfig,
) -> Result<AccountService<PgStore, Argon2Hasher>, HashError> {
    Ok(AccountService::new(store.clone(), hasher(config)?))
}

/// The webhook client: the configured timeout and target policy, posting the API's JSON for
/// each notification.
///
/// # Errors
/// [`SenderError`] when the HTTP client cannot be built.
pub fn sender(config: &WebhookConfig) -> Result<HttpSender, SenderError> {
    let settings = SenderSettings {
        timeout: config.timeout,
        targets: TargetPolicy { allow_private: config.allow_private },
    };
    HttpSender::new(settings, std::sync::Arc::new(crate::http::notification_json))
}

/// Tokens signed with `signing` (`JWT_SECRET`, or the embedded database's own), also
/// verifying those of `JWT_PREVIOUS_SECRETS`.
#[must_use]
pub fn tokens(signing: &Secret, config: &AuthConfig) -> TokenService {
    let previous: Vec<&[u8]> = config.jwt_previous_secrets.iter().map(|s| s.expose().as_bytes()).collect();
    TokenService::new(signing.expose().as_bytes(), &previous, config.jwt_ttl)
}

/// The production adapters over `store`. Only the anonymous public reads may come from a
/// replica; every other port reads and writes the primary.
///
/// # Errors
/// When the password hasher or the webhook client cannot start.
pub fn adapters(
    store: &PgStore,
    config: &Config,
) -> anyhow::Result<Adapters<PgStore, Argon2Hasher, HttpSender>> {
    Ok(Adapters {
        store: store.on_primary(),
        public_reads: store.clone(),
        hasher: hasher(&config.auth)?,
        sender: sender(&config.webhooks)?,
    })
}
