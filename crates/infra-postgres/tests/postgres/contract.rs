//! The port contract, run against PostgreSQL: the same checks, by the same names, as
//! `infra-memory` runs in memory. Each gets a database of its own.

use std::time::Duration;

use infra_postgres::test_support::TestDatabase;
use infra_postgres::{PgStore, PoolSettings};

struct Postgres;

impl domain_contract::Adapter for Postgres {
    type Store = PgStore;
    type Keep = TestDatabase;

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
}

domain_contract::contract_tests!(Postgres);
