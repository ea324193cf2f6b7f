//! A fresh, migrated database for each test, on a server the harness finds or starts itself:
//!
//! 1. `TEST_DATABASE_URL`, when set (CI's service container, a developer's own server);
//! 2. else one private cluster per test process, started from the machine's PostgreSQL
//!    binaries and removed when the process exits (`pg_cluster`);
//! 3. else a testcontainers PostgreSQL, where a docker daemon answers.
//!
//! The schema is migrated once into a template database; each [`TestDatabase`] is a copy of
//! it, dropped when the value is dropped, so tests run in parallel and leave nothing behind.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "test harness: a missing database must stop the test loudly"
)]

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use testcontainers::Container;
use testcontainers::runners::SyncRunner;
use testcontainers_modules::postgres::Postgres;

use crate::migrate;
use crate::pool::{self, PgPool, PoolSettings};
use pg_cluster::{Access, Cluster, ClusterError, Durability};

/// Serialises template creation among test processes sharing one server.
const TEMPLATE_LOCK: i64 = 0x7469_636b_6574_0002;

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// The server every test database of this process lives on.
struct Server {
    admin_url: String,
    template: String,
    // Held so the server outlives every test; statics are never dropped, and cleanup is the
    // cluster watchdog's (or testcontainers' reaper's) job.
    _cluster: Option<Cluster>,
    _container: Option<Container<Postgres>>,
}

/// A database of its own for one test.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
    admin_url: String,
}

impl TestDatabase {
    /// Creates a fresh database from the migrated template.
    ///
    /// # Panics
    /// When no PostgreSQL server can be found or started; the message says what was tried.
    pub async fn new() -> Self {
        let server = server();
        let name = format!("test_{}", unique_suffix());
        let mut admin =
            AsyncPgConnection::establish(&server.admin_url).await.expect("connect to the test server");
        admin
            .batch_execute(&format!(r#"CREATE DATABASE "{name}" TEMPLATE "{}""#, server.template))
            .await
            .expect("create a test database from the template");
        Self { url: with_database(&server.admin_url, &name), name, admin_url: server.admin_url.clone() }
    }

    /// The database's connection URL.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A pool on this database with the service's default settings.
    #[must_use]
    pub fn pool(&self) -> PgPool {
        self.pool_with(&PoolSettings::default())
    }

    /// A pool on this database with the given settings.
    #[must_use]
    pub fn pool_with(&self, settings: &PoolSettings) -> PgPool {
        pool::connect(&self.url, settings).expect("build a pool")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = on_own_runtime(move || async move {
            let mut admin = AsyncPgConnection::establish(&admin_url).await.map_err(|e| e.to_string())?;
            // FORCE ends connections a test's pool still holds.
            admin
                .batch_execute(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
                .await
                .map_err(|e| e.to_string())
        });
        if let Err(e) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

fn server() -> &'static Server {
    match SERVER.get_or_init(|| on_own_runtime(Server::provision)) {
        Ok(server) => server,
        Err(why) => panic!("no PostgreSQL server for tests: {why}"),
    }
}

impl Server {
    async fn provision() -> Result<Self, String> {
        let (admin_url, cluster, container) = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => (url, None, None),
            _ => match start_private_cluster() {
                Ok(cluster) => (cluster.url("postgres"), Some(cluster), None),
                Err(ClusterError::BinariesNotFound) => {
                    let container = Postgres::default().start().map_err(|e| {
                        format!(
                            "{}; testcontainers could not start one either: {e}",
                            ClusterError::BinariesNotFound
                        )
                    })?;
                    let port = container.get_host_port_ipv4(5432).map_err(|e| e.to_string())?;
                    (format!("postgres://postgres:postgres@127.0.0.1:{port}/postgres"), None, Some(container))
                }
                Err(e) => return Err(e.to_string()),
            },
        };
        let template = prepare_template(&admin_url).await?;
        Ok(Self { admin_url, template, _cluster: cluster, _container: container })
    }
}

fn start_private_cluster() -> Result<Cluster, ClusterError> {
    let dir = std::env::temp_dir().join(format!("ticketing-test-pg-{}", unique_suffix()));
    let cluster = Cluster::start(&dir, Durability::Disposable, Access::Trust)?;
    cluster.stop_when_process_exits(Some(&dir))?;
    Ok(cluster)
}

/// A session-level advisory lock on `$1`, held until the connection closes: building the test
/// template takes it so that test binaries starting together take turns.
const TAKE_SESSION_LOCK: &str = "SELECT pg_advisory_lock($1)";

/// Migrates the template once per schema version. It is built under another name and renamed
/// when complete, so a run killed halfway never leaves a half-migrated template behind.
async fn prepare_template(admin_url: &str) -> Result<String, String> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    let template = format!("ticketing_template_{}", migrate::fingerprint());
    let building = format!("{template}_building");
    let mut admin = AsyncPgConnection::establish(admin_url).await.map_err(|e| e.to_string())?;
    diesel::sql_query(TAKE_SESSION_LOCK)
        .bind::<BigInt, _>(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .map_err(|e| e.to_string())?;
    let existing: Count = diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<Text, _>(&template)
        .get_result(&mut admin)
        .await
        .map_err(|e| e.to_string())?;
    if existing.n == 0 {
        // One statement per call: CREATE and DROP DATABASE refuse to run in the implicit
        // transaction of a multi-statement batch.
        for sql in [
            format!(r#"DROP DATABASE IF EXISTS "{building}" WITH (FORCE)"#),
            format!(r#"CREATE DATABASE "{building}""#),
        ] {
            admin.batch_execute(&sql).await.map_err(|e| e.to_string())?;
        }
        migrate::run_pending(&with_database(admin_url, &building))
            .await
            .map_err(|e| format!("{e}: {e:?}"))?;
        for sql in [
            format!(r#"ALTER DATABASE "{building}" RENAME TO "{template}""#),
            format!(r#"ALTER DATABASE "{template}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"#),
        ] {
            admin.batch_execute(&sql).await.map_err(|e| e.to_string())?;
        }
    }
    Ok(template)
}

/// Replaces the database name in a `postgres://…/name?params` URL.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut result = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{}_{}_{}", std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Runs a future on a runtime of its own, on a thread of its own: usable from `Drop`, from
/// inside another runtime, and from a `OnceLock` initialiser.
fn on_own_runtime<F, T>(make: impl FnOnce() -> F + Send + 'static) -> T
where
    F: Future<Output = T>,
    T: Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(make())
    })
    .join()
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_parameters_kept() {
        assert_eq!(with_database("postgres://u:p@h:5432/postgres", "t1"), "postgres://u:p@h:5432/t1");
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "t2"),
            "postgres://u@h/t2?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "t3"), "postgres://h:1/t3");
    }
}
