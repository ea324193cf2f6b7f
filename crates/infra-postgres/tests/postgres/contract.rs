//! The port contract, run against PostgreSQL: the same checks, by the same names, as
//! `infra-memory` runs in memory. Each gets a database of its own.

use infra_postgres::PgStore;
use infra_postgres::test_support::TestDatabase;

struct Postgres;

impl domain_contract::Adapter for Postgres {
    type Store = PgStore;
    type Keep = TestDatabase;

    async fn setup() -> (PgStore, TestDatabase) {
        let db = TestDatabase::new().await;
        (PgStore::new(db.pool()), db)
    }
}

domain_contract::contract_tests!(Postgres);
