//! The port contract, run against PostgreSQL: the same checks, by the same names, as
//! `infra-memory` runs in memory. Each gets a database of its own.

use std::time::Duration;

use infra_postgres::test_support::TestDatabase;
use infra_postgres::{PgStore, PoolSettings};

struct Postgres;

impl domain_contract::Adapter for Postgres {
    type Store = PgStore;
    type Keep = TestDatabase;
    type Gate = PgGate;

    async fn setup() -> (PgStore, TestDatabase) {
        let db = TestDatabase::new().await;
        (PgStore::new(db.pool()), db)
    }

    /// A pool on a loopback port nobody listens on (one just taken and let go).
    fn unreachable() -> Option<PgStore> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("postgres://postgres@127.0.0.1:{port}/nowhere");
        let settings = PoolSettings { connect_timeout: Duration::from_secs(5), ..PoolSettings::default() };
        Some(PgStore::new(infra_postgres::pool::connect(&url, &settings).unwrap()))
    }

    /// A store of its own on the same database: other lanes, the same rows and locks.
    fn another(_: &PgStore, db: &TestDatabase) -> PgStore {
        PgStore::new(db.pool())
    }

    fn gate(store: &PgStore, db: &TestDatabase) -> PgGate {
        PgGate { gate: store.gate(), url: db.url().to_owned() }
    }
}

/// The store's gate, and a way to see the test's database: a transaction waiting for a lock
/// there is a change waiting for an event's guard (each check has a database of its own).
struct PgGate {
    gate: infra_postgres::Gate,
    url: String,
}

impl domain_contract::Gate for PgGate {
    fn close(&self) {
        self.gate.close();
    }

    fn open(&self) {
        self.gate.open();
    }

    fn parked(&self) -> usize {
        self.gate.parked()
    }

    async fn someone_waits_for_a_guard(&self) -> bool {
        use diesel_async::{AsyncConnection as _, RunQueryDsl as _};
        #[derive(diesel::QueryableByName)]
        struct Waiting {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            waits: bool,
        }
        let mut conn = diesel_async::AsyncPgConnection::establish(&self.url).await.unwrap();
        let row: Waiting = diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                            WHERE datname = current_database() AND wait_event_type = 'Lock') AS waits",
        )
        .get_result(&mut conn)
        .await
        .unwrap();
        row.waits
    }
}

domain_contract::contract_tests!(Postgres);
