//! The service behind a real PgBouncer in transaction mode, as operators run it: two instances,
//! each its own process (tokio-postgres names prepared statements per process, so only two
//! processes can collide), started with `DATABASE_PREPARED_STATEMENTS=false`, keep every
//! invariant under a hot drop, a churn and reads at once; started with the defaults, an
//! instance refuses to run there.
//!
//! Needs `pgbouncer` (Debian's package; `.ci/run` installs it). Without it the tests are
//! reported as ignored, saying so (the build script sees it missing), and under CI (`CI` set),
//! where it must be present, they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use infra_postgres::test_support::TestDatabase;
use loadgen::api::Api;
use loadgen::provision::Provisioning;
use loadgen::scenarios::churn::Churn;
use loadgen::scenarios::hotdrop::Hotdrop;
use loadgen::scenarios::status::StatusLoad;
use loadgen::scenarios::{Scenario, execute};

mod support;

use support::{Instance, as_server_account, free_port};

/// The parts of a `postgres://user[:password]@host:port/database` URL.
struct Target {
    user: String,
    password: Option<String>,
    host: String,
    port: u16,
    database: String,
}

fn parse(url: &str) -> Target {
    let rest = url.split_once("://").unwrap().1;
    let (credentials, rest) = rest.rsplit_once('@').unwrap();
    let (user, password) = match credentials.split_once(':') {
        Some((user, password)) => (user.to_owned(), Some(password.to_owned())),
        None => (credentials.to_owned(), None),
    };
    let (address, database) = rest.split_once('/').unwrap();
    let database = database.split('?').next().unwrap().to_owned();
    let (host, port) = address.rsplit_once(':').unwrap();
    Target { user, password, host: host.to_owned(), port: port.parse().unwrap(), database }
}

fn pgbouncer_binary() -> PathBuf {
    ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it)")
}

/// A PgBouncer in transaction mode in front of one database.
struct Bouncer {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Bouncer {
    fn start(binary: &Path, database_url: &str) -> Self {
        let target = parse(database_url);
        let dir =
            std::env::temp_dir().join(format!("ticketing-pgbouncer-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let password = target.password.as_deref().map(|p| format!(" password={p}")).unwrap_or_default();
        let ini = format!(
            "[databases]\n{db} = host={host} port={pg_port} dbname={db} user={user}{password}\n\n\
             [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = any\npool_mode = transaction\nmax_client_conn = 1000\ndefault_pool_size = 20\n\
             ignore_startup_parameters = extra_float_digits,options\n\
             logfile = {log}\npidfile = {pid}\n",
            db = target.database,
            host = target.host,
            pg_port = target.port,
            user = target.user,
            log = dir.join("pgbouncer.log").display(),
            pid = dir.join("pgbouncer.pid").display(),
        );
        let config = dir.join("pgbouncer.ini");
        std::fs::write(&config, ini).unwrap();
        // The server account must be able to write its log and pid file here.
        let _ = Command::new("chown").args(["-R", "postgres"]).arg(&dir).status();
        let child = as_server_account(binary)
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "pgbouncer did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, dir, port }
    }

    /// `database_url` with this pooler in between.
    fn url(&self, database_url: &str) -> String {
        let target = parse(database_url);
        format!("postgres://{}@127.0.0.1:{}/{}", target.user, self.port, target.database)
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        // Killed through its pid file: with runuser in between, our child is not PgBouncer.
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("pgbouncer.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(missing_pgbouncer, ignore = "pgbouncer is not installed: apt-get install pgbouncer")]
async fn two_instances_through_a_transaction_pooler_keep_every_invariant() {
    let pgbouncer = pgbouncer_binary();
    let db = TestDatabase::new().await;
    let bouncer = Bouncer::start(&pgbouncer, db.url());
    let pooled = bouncer.url(db.url());
    let env = [
        ("DATABASE_URL", pooled.as_str()),
        ("DATABASE_PREPARED_STATEMENTS", "false"),
        ("DATABASE_LISTEN_URL", db.url()),
        ("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true"),
    ];
    // Started together: both migrate through the pooler, taking turns on the migration lock.
    let mut instances = [Instance::spawn(&env), Instance::spawn(&env)];
    for instance in &mut instances {
        let ready = instance.ready().await;
        assert!(ready.is_ok(), "{ready:?}: {}", instance.stderr());
    }
    let api = Api::new(instances.iter().map(|i| i.base.clone()).collect(), 32).unwrap();
    let by_sql = Provisioning { concurrency: 8, database_url: Some(db.url()) };

    let drop = Scenario::Hotdrop(Hotdrop { capacity: 40, buyers: 120, concurrency: 32, max_quantity: 1 });
    let report = execute(&api, drop, Some(db.url()), by_sql).await.unwrap();
    assert!(report.ok(), "hot drop: {}", report.table());

    // Bookings, cancels and promotions while others read.
    let churn = Scenario::Churn(Churn {
        drop: Hotdrop { capacity: 30, buyers: 90, concurrency: 32, max_quantity: 1 },
        cancels: 20,
        webhooks: true,
    });
    let reads = Scenario::Status(StatusLoad { concurrency: 8, duration: Duration::from_secs(3) });
    let by_api = Provisioning { concurrency: 4, database_url: None };
    let (churned, read) = tokio::join!(
        execute(&api, churn, Some(db.url()), by_sql),
        execute(&api, reads, Some(db.url()), by_api)
    );
    let (churned, read) = (churned.unwrap(), read.unwrap());
    assert!(churned.ok(), "churn: {}", churned.table());
    assert!(read.ok(), "reads: {}", read.table());
    let webhooks = churned.webhooks.as_ref().expect("the churn subscribed a webhook and reports it");
    assert_eq!(webhooks.promotions_received, 20, "{}", churned.table());
    for instance in &instances {
        let log = instance.stderr();
        assert!(!log.contains("prepared statement"), "{}: {log}", instance.base);
    }
}

#[tokio::test]
#[cfg_attr(missing_pgbouncer, ignore = "pgbouncer is not installed: apt-get install pgbouncer")]
async fn with_prepared_statements_the_service_refuses_to_start_behind_a_transaction_pooler() {
    let pgbouncer = pgbouncer_binary();
    let db = TestDatabase::new().await;
    let bouncer = Bouncer::start(&pgbouncer, db.url());
    let pooled = bouncer.url(db.url());

    let mut instance = Instance::spawn(&[("DATABASE_URL", pooled.as_str())]);
    let ended = instance.ready().await;

    let status = ended.expect_err("the service started behind a transaction pooler with prepared statements");
    assert!(!status.success());
    let log = instance.stderr();
    assert!(log.contains("DATABASE_PREPARED_STATEMENTS=false"), "{log}");

    // The same database reached directly: it starts.
    let mut direct = Instance::spawn(&[("DATABASE_URL", db.url())]);
    let ready = direct.ready().await;
    assert!(ready.is_ok(), "{ready:?}: {}", direct.stderr());
}
